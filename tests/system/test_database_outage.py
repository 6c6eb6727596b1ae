"""A PostgreSQL outage while serving: requests answer 503 with Retry-After, and recover when it returns."""

from __future__ import annotations

import pytest

from api import create_app
from coordination import bootstrap
from coordination.config import Settings
from tests.conftest import PG, POSTGRES_UP, REQUIRE_POSTGRES, auth, drop_schema
from tests.system.tcp_proxy import Proxy

pytestmark = pytest.mark.system


@pytest.fixture
def outage(tmp_path):
    """An app whose every PostgreSQL connection passes through a proxy the test can cut and restore."""
    if not POSTGRES_UP:
        if REQUIRE_POSTGRES:
            pytest.fail("PATHWAYS_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable")
        pytest.skip("PostgreSQL is not reachable")
    proxy = Proxy((PG["host"], int(PG["port"])))
    proxy.start()
    schema = f"t_outage_{tmp_path.name[-8:].lower().replace('-', '_')}"
    settings = Settings.from_env({
        "PATHWAYS_STORE": "postgres", "PATHWAYS_DATA_DIR": str(tmp_path), "POSTGRES_DBNAME": PG["dbname"],
        "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": str(proxy.port), "POSTGRES_USER": PG["user"],
        "POSTGRES_PASSWORD": PG["password"], "POSTGRES_SCHEMA": schema, "POSTGRES_CONNECT_TIMEOUT": "1",
        "PATHWAYS_AUTH_DEV_SECRET": "test-secret-of-at-least-16-chars",
    })
    bootstrap.migrate(settings)
    services = bootstrap.build(settings)
    yield services, proxy
    proxy.cut()
    services.close()
    drop_schema(schema)


def open_case(client):
    return client.post("/api/v1/investigations", json={"title": "T", "threat_domain": "cybercrime"}, headers=auth())


def test_a_write_during_an_outage_is_a_503_with_retry_after_and_a_write_after_it_succeeds(outage):
    services, proxy = outage
    client = create_app({"SERVICES": services}).test_client()
    assert open_case(client).status_code == 201
    proxy.cut()
    during = open_case(client)
    proxy.start()
    after = open_case(client)
    assert (during.status_code, during.mimetype, bool(during.headers.get("Retry-After"))) == (
        503, "application/problem+json", True)
    assert after.status_code == 201 and after.get_json()["case_number"].endswith("-00002")


def test_an_app_started_while_the_database_is_down_serves_once_it_is_back(outage):
    services, proxy = outage
    settings = services.settings
    proxy.cut()
    cold = bootstrap.build(settings)  # a gunicorn worker booting during the outage
    try:
        client = create_app({"SERVICES": cold}).test_client()
        during = open_case(client)
        proxy.start()
        after = open_case(client)
    finally:
        cold.close()
    assert during.status_code == 503 and after.status_code == 201
