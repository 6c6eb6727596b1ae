"""What a process learns of its PostgreSQL server: when it holds it unreachable, and how it finds it back."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from eventsourcing import utils as eventsourcing_utils

from coordination import bootstrap
from coordination.config import Settings
from coordination.errors import StoreUnavailable
from coordination.ledger import Ledger, ledger_env
from coordination.tables import DatabaseUnavailable, PostgresDatabase
from tests.conftest import PG, POSTGRES_UP, REQUIRE_POSTGRES, drop_schema
from tests.system.tcp_proxy import Proxy


@pytest.fixture
def proxy():
    if not POSTGRES_UP:
        if REQUIRE_POSTGRES:
            pytest.fail("PATHWAYS_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable")
        pytest.skip("PostgreSQL is not reachable")
    proxy = Proxy((PG["host"], int(PG["port"])))
    proxy.start()
    yield proxy
    proxy.cut()


@pytest.fixture
def databases(proxy):
    """Two stores on one server (as the read models and the audit trail are), reached through the proxy."""
    conninfo = {**PG, "port": proxy.port, "connect_timeout": 2}
    made = [PostgresDatabase(conninfo=conninfo, schema="public", max_size=4, timeout=0.5, store=store)
            for store in ("read", "audit")]
    yield made
    for db in made:
        db.close()


def select_one(db) -> int:
    with db.transaction() as cur:
        return cur.execute("SELECT 1 AS one").fetchone()["one"]


def test_a_server_that_refuses_connections_is_held_unreachable(proxy, databases):
    views, _ = databases
    proxy.cut()
    with pytest.raises(DatabaseUnavailable):
        select_one(views)
    assert views.pool.circuit.up is False


def test_stores_on_one_server_share_what_was_learnt_of_it(proxy, databases):
    views, audit = databases
    proxy.cut()
    with pytest.raises(DatabaseUnavailable):
        select_one(views)
    assert audit.pool.circuit.up is False


def test_an_error_the_server_answers_leaves_it_reachable(databases):
    views, _ = databases
    with pytest.raises(psycopg.errors.SyntaxError), views.transaction() as cur:
        cur.execute("SELEKT 1")
    assert views.pool.circuit.up is True


def test_a_statement_left_unanswered_past_the_bound_makes_the_store_unavailable(proxy, databases):
    views, _ = databases
    assert select_one(views) == 1  # a pooled connection, open through the proxy
    proxy.blackhole()
    with pytest.raises(DatabaseUnavailable):
        select_one(views)
    assert views.pool.circuit.up is False


def test_a_store_held_unreachable_serves_again_once_its_server_answers(proxy, databases):
    views, _ = databases
    proxy.cut()
    with pytest.raises(DatabaseUnavailable):
        select_one(views)
    proxy.start()
    assert select_one(views) == 1


def test_after_one_pooled_connection_is_found_dead_the_next_transaction_gets_a_live_one(proxy, databases):
    views, _ = databases
    with views.transaction() as one, views.transaction() as two:  # two connections now idle in the pool
        one.execute("SELECT 1")
        two.execute("SELECT 1")
    proxy.cut()
    proxy.start()  # a restart nobody noticed: both pooled connections are dead
    with pytest.raises(DatabaseUnavailable):
        select_one(views)
    assert select_one(views) == 1


def test_a_ledger_that_cannot_connect_is_refused_without_the_librarys_retries(proxy, tmp_path, monkeypatch):
    retries: list[float] = []
    monkeypatch.setattr(eventsourcing_utils, "sleep", retries.append)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    settings = Settings.from_env({
        "PATHWAYS_STORE": "postgres", "PATHWAYS_DATA_DIR": str(tmp_path), "POSTGRES_DBNAME": PG["dbname"],
        "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": str(proxy.port), "POSTGRES_USER": PG["user"],
        "POSTGRES_PASSWORD": PG["password"], "POSTGRES_SCHEMA": schema, "PATHWAYS_AUTH_DEV_SECRET": "x" * 32,
    })
    bootstrap.migrate(settings)
    ledger = Ledger(env=ledger_env(settings, create_tables=False))
    try:
        proxy.cut()
        with pytest.raises(StoreUnavailable):
            ledger.max_position()
    finally:
        ledger.close()
        drop_schema(schema)
    assert retries == []
