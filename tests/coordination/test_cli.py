"""The `pathways` command line, run in-process with click's runner against a real store."""

from __future__ import annotations

import json

import jwt
import pytest
from click.testing import CliRunner

from coordination.cli import main
from coordination.context import RequestContext
from domain.envelope import Actor
from projections.case_list import CaseList
from tests.conftest import DEV_SECRET

HSI = RequestContext(Actor("alice", "HSI", "Alice", frozenset({"agent"})), "r")
OVERSIGHT = RequestContext(Actor("olga", "OIG", "Olga", frozenset({"auditor", "admin"})), "r")


@pytest.fixture
def cli(env, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return CliRunner()


@pytest.mark.parametrize("command", [[], ["serve"], ["worker"], ["migrate"], ["token"], ["projections", "rebuild"],
                                     ["verify"], ["audit", "verify"], ["cipher-key"]])
def test_every_command_explains_itself_with_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_a_minted_dev_token_carries_the_given_claims(cli):
    result = cli.invoke(main, ["token", "--sub", "bob", "--name", "Bob", "--agency", "DEA", "--roles", "agent,analyst"])
    claims = jwt.decode(result.output.strip(), DEV_SECRET, algorithms=["HS256"], audience="pathways")
    assert (claims["sub"], claims["agency"], claims["roles"]) == ("bob", "DEA", ["agent", "analyst"])


def test_minting_a_token_without_a_dev_secret_is_refused(cli, monkeypatch):
    monkeypatch.delenv("PATHWAYS_AUTH_DEV_SECRET")
    monkeypatch.setenv("PATHWAYS_AUTH_PUBLIC_KEY_FILE", __file__)
    monkeypatch.setenv("PATHWAYS_AUTH_ISSUER", "https://idp.example/")
    result = cli.invoke(main, ["token", "--sub", "bob", "--agency", "DEA", "--roles", "agent"])
    assert result.exit_code == 2 and "PATHWAYS_AUTH_DEV_SECRET" in result.output


def test_a_command_without_a_store_names_the_missing_setting(cli, monkeypatch):
    monkeypatch.delenv("PATHWAYS_STORE")
    result = cli.invoke(main, ["migrate"])
    assert result.exit_code == 2 and "PATHWAYS_STORE" in result.output


def test_migrate_creates_a_store_that_serves(cli, settings):
    from coordination import bootstrap

    assert cli.invoke(main, ["migrate"]).exit_code == 0
    services = bootstrap.build(settings)
    try:
        assert services.readiness()["ready"] is True
    finally:
        services.close()


def test_migrate_names_each_read_model_it_rebuilt_and_the_events_it_folded(cli, services):
    services.investigations.open(HSI, title="A", threat_domain="cybercrime", summary=None)
    with services.views_db.transaction(write=True) as cur:
        cur.execute("UPDATE schema_versions SET version = 1 WHERE component = 'case_list'")
    result = cli.invoke(main, ["migrate"])
    assert result.exit_code == 0
    expected = f"case_list: version 1 -> {CaseList.version}, emptied and rebuilt; 1 event folded from the ledger"
    assert expected in result.output


def test_migrating_an_up_to_date_store_says_it_changed_nothing(cli, services):
    result = cli.invoke(main, ["migrate"])
    assert result.exit_code == 0 and "already up to date" in result.output


def test_a_migration_that_cannot_proceed_exits_one_with_its_reason(cli, services):
    with services.audit_db.transaction(write=True) as cur:
        cur.execute("UPDATE schema_versions SET version = 99 WHERE component = 'audit_records'")
    result = cli.invoke(main, ["migrate"])
    assert result.exit_code == 1 and "newer than this code's" in result.output


def test_rebuild_folds_the_whole_ledger_into_the_case_list(cli, services):
    services.investigations.open(HSI, title="A", threat_domain="cybercrime", summary=None)
    result = cli.invoke(main, ["projections", "rebuild", "case_list"])
    assert result.exit_code == 0
    assert services.projections.position("case_list") == services.ledger.max_position()


def test_rebuilding_an_unknown_projection_is_refused(cli, services):
    result = cli.invoke(main, ["projections", "rebuild", "nonsense"])
    assert result.exit_code == 2 and "nonsense" in result.output


def test_verify_reports_an_intact_case_and_exits_zero(cli, services):
    inv = services.investigations.open(HSI, title="A", threat_domain="cybercrime", summary=None).result
    result = cli.invoke(main, ["verify", str(inv["id"])])
    assert result.exit_code == 0 and '"intact": true' in result.output


def test_audit_verify_reports_an_intact_trail(cli, services):
    result = cli.invoke(main, ["audit", "verify"])
    assert result.exit_code == 0 and '"intact": true' in result.output


def test_a_cipher_key_is_accepted_by_the_configuration(cli, env):
    from coordination.config import Settings

    key = CliRunner().invoke(main, ["cipher-key"]).output.strip()
    assert Settings.from_env({**env, "PATHWAYS_CIPHER_KEY": key}).cipher_key == key


def test_verifying_from_the_command_line_leaves_an_audit_record(cli, services):
    inv = services.investigations.open(HSI, title="A", threat_domain="cybercrime", summary=None).result
    cli.invoke(main, ["verify", str(inv["id"])])
    oversight = RequestContext(Actor("o", "OIG", "O", frozenset({"auditor", "admin"})), "r")
    records = services.audit.search(oversight, filters={"action": "cli verify"})["items"]
    assert [(r["sub"].startswith("os:"), r["object_id"]) for r in records] == [(True, str(inv["id"]))]


def test_serving_dev_tokens_on_a_public_address_is_refused_naming_the_setting(cli):
    result = cli.invoke(main, ["serve", "--bind", "0.0.0.0:8000"])
    assert result.exit_code == 2 and "PATHWAYS_AUTH_DEV_SECRET" in result.output


def test_minting_a_token_longer_than_the_maximum_lifetime_is_refused(cli):
    result = cli.invoke(main, ["token", "--sub", "bob", "--agency", "DEA", "--roles", "agent", "--ttl", "90000"])
    assert result.exit_code == 2 and "PATHWAYS_AUTH_MAX_TOKEN_LIFETIME" in result.output


def test_verify_names_the_investigation_and_audits_the_check_against_its_owner(cli, services):
    inv = services.investigations.open(HSI, title="A", threat_domain="cybercrime", summary=None).result
    result = cli.invoke(main, ["verify", str(inv["id"])])
    records = services.audit.search(OVERSIGHT, filters={"action": "cli verify"})["items"]
    assert json.loads(result.stdout)["investigation_id"] == str(inv["id"])
    assert [r["object_owner"] for r in records] == ["HSI"]


def test_a_signing_key_made_on_the_command_line_signs_checkpoints_the_ledger_verifies_against(cli, services,
                                                                                              tmp_path,
                                                                                              monkeypatch):
    key = tmp_path / "signing.pem"
    made = cli.invoke(main, ["signing-key", "--out", str(key)])
    monkeypatch.setenv("PATHWAYS_SIGNING_KEY_FILE", str(key))
    services.investigations.open(HSI, title="A", threat_domain="cybercrime", summary=None)
    sealed = cli.invoke(main, ["checkpoint"])

    verified = cli.invoke(main, ["verify"])

    assert (made.exit_code, sealed.exit_code, key.stat().st_mode & 0o777) == (0, 0, 0o600)
    assert verified.exit_code == 0 and '"valid": true' in verified.output


def test_verifying_the_ledger_without_a_public_key_is_refused_naming_both_ways(cli, services):
    result = cli.invoke(main, ["verify"])
    assert result.exit_code == 2 and "PATHWAYS_SIGNING_KEY_FILE" in result.output


def test_a_case_exported_on_the_command_line_holds_every_event(cli, services, tmp_path):
    import zipfile

    inv = services.investigations.open(HSI, title="A", threat_domain="cybercrime", summary=None).result
    out = tmp_path / "case.zip"

    result = cli.invoke(main, ["export", str(inv["id"]), "--out", str(out)])

    lines = zipfile.ZipFile(out).read("events.jsonl").decode().splitlines()
    assert result.exit_code == 0 and [json.loads(line)["version"] for line in lines] == [1]
