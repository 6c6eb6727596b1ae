"""SQLite's write-ahead logs are checkpointed by a background thread, not by the request whose commit fills them."""

from __future__ import annotations

import sqlite3
import time

from api import create_app
from coordination.wal_checkpoints import SAFETY_NET_PAGES, Checkpointer
from tests.conftest import auth


def open_cases(services, count: int) -> None:
    client = create_app({"SERVICES": services}).test_client()
    for n in range(count):
        answer = client.post("/api/v1/investigations", json={"title": f"Case {n}", "threat_domain": "cybercrime"},
                             headers=auth())
        assert answer.status_code == 201


def ledger_autocheckpoint(services) -> int:
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        return cursor.fetchone()[0]


def test_the_ledgers_connections_checkpoint_only_past_the_safety_net(sqlite_services) -> None:
    assert ledger_autocheckpoint(sqlite_services) == SAFETY_NET_PAGES


def test_the_read_and_audit_stores_connections_checkpoint_only_past_the_safety_net(sqlite_services) -> None:
    pages = [db._connection().execute("PRAGMA wal_autocheckpoint").fetchone()[0]
             for db in (sqlite_services.views_db, sqlite_services.audit_db)]
    assert pages == [SAFETY_NET_PAGES, SAFETY_NET_PAGES]


def test_the_background_thread_copies_every_committed_frame_into_the_ledger(sqlite_services) -> None:
    ledger_file = sqlite_services.settings.data_dir / "ledger.db"
    open_cases(sqlite_services, 3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        frames, copied = sqlite_services.checkpoints.last.get(ledger_file, (0, -1))
        if frames > 0 and frames == copied:
            break
        time.sleep(0.05)
    frames, copied = sqlite_services.checkpoints.last[ledger_file]
    assert frames > 0 and copied == frames


def test_closing_the_services_stops_the_checkpointer(sqlite_services) -> None:
    checkpoints = sqlite_services.checkpoints
    sqlite_services.close()
    assert not checkpoints.running


def test_a_store_file_not_created_yet_is_left_uncreated(tmp_path) -> None:
    absent = tmp_path / "ledger.db"
    assert Checkpointer([absent]).checkpoint() == {}
    assert not absent.exists()


def test_a_checkpoint_leaves_nothing_of_the_log_uncopied(tmp_path) -> None:
    path = tmp_path / "views.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x)")
    writer.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1000)])
    frames, copied = Checkpointer([path]).checkpoint()[path]
    writer.close()
    assert frames > 0 and copied == frames


def test_only_a_sqlite_deployment_checkpoints_in_the_background(store, services) -> None:
    assert (services.checkpoints is None) == (store == "postgres")
