"""Start-up configuration: missing or contradictory settings stop the process and name the setting."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from coordination.config import ConfigError, Settings, refuse_dev_secret_off_loopback

BASE = {"PATHWAYS_STORE": "sqlite", "PATHWAYS_DATA_DIR": "/tmp/pathways-config-test",
        "PATHWAYS_AUTH_DEV_SECRET": "0123456789abcdef0123456789abcdef"}
PG = {**BASE, "PATHWAYS_STORE": "postgres", "POSTGRES_DBNAME": "test", "POSTGRES_HOST": "127.0.0.1",
      "POSTGRES_USER": "postgres"}


def refused_setting(env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    return caught.value.setting


def without(env: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != name}


def test_a_complete_sqlite_configuration_is_accepted():
    assert Settings.from_env(BASE).store == "sqlite"


def test_a_complete_postgres_configuration_is_accepted_with_an_empty_password():
    settings = Settings.from_env(PG)
    assert settings.postgres is not None and settings.postgres.password == ""


def test_no_store_refuses_to_start_rather_than_keep_data_in_memory():
    assert refused_setting(without(BASE, "PATHWAYS_STORE")) == "PATHWAYS_STORE"


def test_an_unknown_store_is_refused():
    assert refused_setting({**BASE, "PATHWAYS_STORE": "memory"}) == "PATHWAYS_STORE"


def test_sqlite_without_a_data_directory_is_refused():
    assert refused_setting(without(BASE, "PATHWAYS_DATA_DIR")) == "PATHWAYS_DATA_DIR"


@pytest.mark.parametrize("name", ["POSTGRES_DBNAME", "POSTGRES_HOST", "POSTGRES_USER"])
def test_postgres_without_its_connection_settings_is_refused(name):
    assert refused_setting(without(PG, name)) == name


def test_a_persistence_module_contradicting_the_store_is_refused():
    assert refused_setting({**BASE, "PERSISTENCE_MODULE": "eventsourcing.postgres"}) == "PERSISTENCE_MODULE"


def test_postgres_database_functions_are_refused():
    assert refused_setting({**PG, "POSTGRES_ENABLE_DB_FUNCTIONS": "y"}) == "POSTGRES_ENABLE_DB_FUNCTIONS"


def test_no_way_to_verify_tokens_is_refused():
    assert refused_setting(without(BASE, "PATHWAYS_AUTH_DEV_SECRET")) == "PATHWAYS_AUTH_JWKS_URL"


def test_a_jwks_url_and_a_key_file_together_are_refused():
    env = {**BASE, "PATHWAYS_AUTH_JWKS_URL": "https://idp.example/jwks", "PATHWAYS_AUTH_PUBLIC_KEY_FILE": "/etc/hosts"}
    assert refused_setting(env) == "PATHWAYS_AUTH_PUBLIC_KEY_FILE"


def test_a_missing_public_key_file_is_refused():
    env = {**without(BASE, "PATHWAYS_AUTH_DEV_SECRET"), "PATHWAYS_AUTH_PUBLIC_KEY_FILE": "/nonexistent/key.pem"}
    assert refused_setting(env) == "PATHWAYS_AUTH_PUBLIC_KEY_FILE"


def test_a_short_dev_secret_is_refused():
    assert refused_setting({**BASE, "PATHWAYS_AUTH_DEV_SECRET": "short"}) == "PATHWAYS_AUTH_DEV_SECRET"


def test_a_cipher_key_that_is_not_base64_is_refused():
    assert refused_setting({**BASE, "PATHWAYS_CIPHER_KEY": "not base64!"}) == "PATHWAYS_CIPHER_KEY"


def test_a_cipher_key_of_the_wrong_length_is_refused():
    assert refused_setting({**BASE, "PATHWAYS_CIPHER_KEY": "YWJj"}) == "PATHWAYS_CIPHER_KEY"


def test_a_non_numeric_timeout_is_refused():
    assert refused_setting({**PG, "POSTGRES_CONNECT_TIMEOUT": "soon"}) == "POSTGRES_CONNECT_TIMEOUT"


def test_a_schema_that_is_not_an_identifier_is_refused():
    assert refused_setting({**PG, "POSTGRES_SCHEMA": "x; drop table"}) == "POSTGRES_SCHEMA"


def test_a_dev_secret_beside_a_real_identity_provider_is_refused():
    env = {**BASE, "PATHWAYS_AUTH_JWKS_URL": "https://idp.example/jwks", "PATHWAYS_AUTH_ISSUER": "https://idp.example/"}
    assert refused_setting(env) == "PATHWAYS_AUTH_DEV_SECRET"


def test_an_identity_provider_without_an_issuer_is_refused():
    env = {**without(BASE, "PATHWAYS_AUTH_DEV_SECRET"), "PATHWAYS_AUTH_JWKS_URL": "https://idp.example/jwks"}
    assert refused_setting(env) == "PATHWAYS_AUTH_ISSUER"


def test_an_identity_provider_with_an_issuer_is_accepted():
    env = {**without(BASE, "PATHWAYS_AUTH_DEV_SECRET"), "PATHWAYS_AUTH_JWKS_URL": "https://idp.example/jwks",
           "PATHWAYS_AUTH_ISSUER": "https://idp.example/"}
    assert Settings.from_env(env).auth.issuer == "https://idp.example/"


def test_the_maximum_token_lifetime_is_a_day_unless_configured():
    assert Settings.from_env(BASE).auth.max_token_lifetime_seconds == 24 * 3600


def test_a_configured_maximum_token_lifetime_is_taken():
    env = {**BASE, "PATHWAYS_AUTH_MAX_TOKEN_LIFETIME": "3600"}
    assert Settings.from_env(env).auth.max_token_lifetime_seconds == 3600


@pytest.mark.parametrize("lifetime", ["0", "59", "604801", "a day"])
def test_a_maximum_token_lifetime_out_of_bounds_is_refused(lifetime):
    env = {**BASE, "PATHWAYS_AUTH_MAX_TOKEN_LIFETIME": lifetime}
    assert refused_setting(env) == "PATHWAYS_AUTH_MAX_TOKEN_LIFETIME"


@pytest.mark.parametrize("cooldown", ["0", "3601"])
def test_a_jwks_cooldown_out_of_bounds_is_refused(cooldown):
    env = {**BASE, "PATHWAYS_AUTH_JWKS_COOLDOWN_SECONDS": cooldown}
    assert refused_setting(env) == "PATHWAYS_AUTH_JWKS_COOLDOWN_SECONDS"


@pytest.mark.parametrize("bind", ["0.0.0.0:8000", ":8000", "[::]:8000", "10.1.2.3:8000", "pathways.example:443",
                                  "fd://3"])
def test_a_dev_secret_with_a_bind_beyond_loopback_is_refused_naming_it(bind):
    with pytest.raises(ConfigError) as caught:
        refuse_dev_secret_off_loopback(["127.0.0.1:8000", bind], BASE)
    assert caught.value.setting == "PATHWAYS_AUTH_DEV_SECRET"


@pytest.mark.parametrize("bind", ["127.0.0.1:8000", "127.0.0.2", "localhost:8000", "[::1]:8000",
                                  "unix:/run/pathways.sock"])
def test_a_dev_secret_on_loopback_or_a_unix_socket_is_accepted(bind):
    refuse_dev_secret_off_loopback([bind], BASE)


def test_a_public_bind_without_a_dev_secret_is_accepted():
    refuse_dev_secret_off_loopback(["0.0.0.0:8000"], without(BASE, "PATHWAYS_AUTH_DEV_SECRET"))


@pytest.mark.system
def test_gunicorn_with_a_dev_secret_refuses_a_public_bind_naming_the_setting(tmp_path):
    repo = Path(__file__).resolve().parents[2]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **BASE, "PATHWAYS_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"0.0.0.0:{port}",
                               "wsgi:app"], env=env, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:  # it started serving: stop it before the assertion fails
            server.kill()
            server.wait()
    assert server.returncode != 0 and b"PATHWAYS_AUTH_DEV_SECRET" in output


def test_case_clocks_default_to_ten_days_for_the_opening_report_and_ninety_between_reviews():
    rules = Settings.from_env(BASE).case_clocks
    assert (rules.of("HSI", "opening_report").days, rules.of("HSI", "review").days) == (10, 90)


def test_an_agency_may_have_its_own_review_clock():
    rules = Settings.from_env({**BASE, "PATHWAYS_CASE_CLOCKS": "review=60,DEA:review=30"}).case_clocks
    assert (rules.of("HSI", "review").days, rules.of("DEA", "review").days) == (60, 30)


def test_an_unknown_clock_stops_start_up_naming_the_setting():
    with pytest.raises(ConfigError, match="PATHWAYS_CASE_CLOCKS"):
        Settings.from_env({**BASE, "PATHWAYS_CASE_CLOCKS": "DEA:closing=30"})


def test_an_office_keeps_reading_a_case_it_declined_unless_told_otherwise():
    kept = Settings.from_env(BASE).referral_access_kept
    ended = Settings.from_env({**BASE, "PATHWAYS_REFERRAL_ACCESS_KEPT": "no"}).referral_access_kept
    assert (kept, ended) == (True, False)


def test_a_referral_access_setting_that_is_neither_yes_nor_no_is_refused():
    assert refused_setting({**BASE, "PATHWAYS_REFERRAL_ACCESS_KEPT": "maybe"}) == "PATHWAYS_REFERRAL_ACCESS_KEPT"


def test_the_composition_root_hands_the_referral_access_setting_to_the_referrals(tmp_path):
    from coordination import bootstrap

    settings = Settings.from_env({**BASE, "PATHWAYS_DATA_DIR": str(tmp_path), "PATHWAYS_REFERRAL_ACCESS_KEPT": "no"})
    services = bootstrap.build(settings)
    try:
        assert services.referrals.access_kept is False
    finally:
        services.close()
