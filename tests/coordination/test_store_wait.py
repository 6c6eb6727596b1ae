"""PATHWAYS_STORE_WAIT_SECONDS: how long one store operation may wait, on either store, and what outlasts it."""

from __future__ import annotations

import runpy
import sqlite3
from pathlib import Path

import pytest

from coordination import bootstrap
from coordination.commands import RETRY_BUDGET_SECONDS
from coordination.config import ConfigError, Settings
from coordination.ledger import ledger_env
from coordination.tables import DatabaseUnavailable, SQLiteDatabase

REPO = Path(__file__).resolve().parents[2]
BASE = {"PATHWAYS_STORE": "sqlite", "PATHWAYS_DATA_DIR": "/tmp/pathways-store-wait-test",
        "PATHWAYS_AUTH_DEV_SECRET": "0123456789abcdef0123456789abcdef"}


def test_a_store_operation_waits_at_most_2_seconds_unless_configured():
    assert Settings.from_env(BASE).store_wait == 2.0


@pytest.mark.parametrize("seconds", ["0.1", "31", "soon"])
def test_a_store_wait_outside_half_a_second_to_30_seconds_is_refused(seconds):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**BASE, "PATHWAYS_STORE_WAIT_SECONDS": seconds})
    assert caught.value.setting == "PATHWAYS_STORE_WAIT_SECONDS"


def test_the_sqlite_ledger_waits_for_its_lock_the_store_wait_in_whole_seconds():
    settings = Settings.from_env({**BASE, "PATHWAYS_STORE_WAIT_SECONDS": "1.5"})
    assert ledger_env(settings, create_tables=False)["SQLITE_LOCK_TIMEOUT"] == "2"


def test_the_sqlite_read_and_audit_stores_wait_for_their_locks_the_store_wait(tmp_path):
    settings = Settings.from_env({**BASE, "PATHWAYS_DATA_DIR": str(tmp_path), "PATHWAYS_STORE_WAIT_SECONDS": "1.5"})
    services = bootstrap.build(settings)
    try:
        assert (services.views_db.timeout, services.audit_db.timeout) == (1.5, 1.5)
    finally:
        services.close()


def test_a_sqlite_writer_gives_up_on_a_lock_held_elsewhere(tmp_path):
    db = SQLiteDatabase(tmp_path / "views.db", timeout=0.1)
    with db.transaction(write=True) as cur:
        cur.execute("CREATE TABLE t (x INTEGER)")
    holder = sqlite3.connect(tmp_path / "views.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseUnavailable), db.transaction(write=True) as cur:
            cur.execute("INSERT INTO t VALUES (1)")
    finally:
        holder.rollback()
        holder.close()
        db.close()


@pytest.mark.parametrize("store_wait, read_wait", [("2", "5"), ("30", "30")])
def test_a_gunicorn_worker_outlives_the_longest_a_request_may_wait(monkeypatch, store_wait, read_wait):
    monkeypatch.setenv("PATHWAYS_STORE_WAIT_SECONDS", store_wait)
    monkeypatch.setenv("PATHWAYS_READ_WAIT_MAX_SECONDS", read_wait)
    timeout = runpy.run_path(str(REPO / "gunicorn.conf.py"))["timeout"]
    # three stores a request may wait on, the read model it may wait for, the lost races it may retry
    assert timeout > 3 * float(store_wait) + float(read_wait) + RETRY_BUDGET_SECONDS
