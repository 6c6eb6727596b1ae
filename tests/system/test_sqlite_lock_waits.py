"""The embedded store: a write blocked by a SQLite lock held elsewhere answers 503 within 5 s, not after 30."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from api import create_app
from tests.conftest import auth

pytestmark = pytest.mark.system
BOUND_SECONDS = 5.0


def test_a_write_while_another_process_holds_the_ledger_lock_is_a_503_with_retry_after_within_5_seconds(
        sqlite_services):
    client = create_app({"SERVICES": sqlite_services}).test_client()
    holder = sqlite3.connect(sqlite_services.settings.data_dir / "ledger.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as a stuck writer in another process would
    answered: list = []
    started = time.monotonic()
    writing = threading.Thread(target=lambda: answered.append(client.post(
        "/api/v1/investigations", json={"title": "T", "threat_domain": "cybercrime"}, headers=auth())), daemon=True)
    writing.start()
    writing.join(timeout=2 * BOUND_SECONDS)
    seconds = time.monotonic() - started
    holder.rollback()
    holder.close()
    writing.join()
    assert answered and (answered[0].status_code, bool(answered[0].headers.get("Retry-After"))) == (503, True)
    assert seconds < BOUND_SECONDS
