"""Tamper evidence: a stored event changed or deleted by hand is detected and named."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from coordination import bootstrap
from coordination.config import Settings
from coordination.context import RequestContext
from coordination.integrity import verify_chain
from coordination.investigations import KIND
from domain.envelope import Actor
from tests.conftest import PG

HSI = RequestContext(Actor("alice", "HSI", "Alice", frozenset({"agent"})), "r")


def case_with_history(services) -> str:
    inv = services.investigations.open(HSI, title="Route 9", threat_domain="human_smuggling", summary=None).result
    for summary in ("first meeting", "second meeting", "third meeting"):
        services.investigations.log_action(HSI, inv["id"], kind="interview", summary=summary, occurred_at=None,
                                           location=None, expected_version=None)
    return inv["id"]


def tamper(services, sql_sqlite: str, sql_pg: str, params: tuple, purpose: str = "events") -> None:
    """Change the ledger by hand, behind the application's back, as an insider with database access might."""
    settings = services.settings
    if settings.store == "sqlite":
        with sqlite3.connect(settings.data_dir / "ledger.db") as conn:
            conn.execute(sql_sqlite.format(table=f"stored_{purpose}"), params)
    else:
        with psycopg.connect(**PG, autocommit=True) as conn:
            conn.execute(sql_pg.format(table=f'"{settings.postgres.schema}".ledger_{purpose}'), params)


def stored_id(services, inv_id):
    return inv_id.hex if services.settings.store == "sqlite" else inv_id


def test_an_untouched_history_verifies_intact(services):
    inv_id = case_with_history(services)
    report = verify_chain(services.ledger, inv_id)
    assert report["intact"] and report["events"] == 4 and report["first_broken"] is None


def test_an_event_edited_by_hand_is_named_as_the_first_broken_link(services):
    inv_id = case_with_history(services)
    tamper(services,
           "UPDATE {table} SET state = CAST(replace(CAST(state AS TEXT), 'second meeting', 'no meeting') AS BLOB) "
           "WHERE originator_version = 3",
           "UPDATE {table} SET state = convert_to(replace(convert_from(state, 'UTF8'), 'second meeting', "
           "'no meeting'), 'UTF8') WHERE originator_version = 3 AND originator_id = %s",
           () if services.settings.store == "sqlite" else (inv_id,))
    report = verify_chain(services.ledger, inv_id)
    assert report["first_broken"] == {"version": 3, "problem": "its content does not match its digest"}


def test_an_event_deleted_by_hand_is_named_as_missing(services):
    inv_id = case_with_history(services)
    tamper(services, "DELETE FROM {table} WHERE originator_version = 2 AND originator_id = ?",
           "DELETE FROM {table} WHERE originator_version = 2 AND originator_id = %s", (stored_id(services, inv_id),))
    report = verify_chain(services.ledger, inv_id)
    assert report["intact"] is False
    assert report["first_broken"] == {"version": 3, "problem": "event 2 is missing"}


def test_the_integrity_use_case_hides_a_case_of_another_agency(services):
    from coordination.errors import NotFound

    inv_id = case_with_history(services)
    with pytest.raises(NotFound):
        services.history.verify(RequestContext(Actor("d", "DEA", "D", frozenset({"agent"})), "r"), KIND, inv_id)


@pytest.fixture
def encrypted(env):
    import base64
    import secrets


    settings = Settings.from_env({**env, "PATHWAYS_CIPHER_KEY": base64.b64encode(secrets.token_bytes(32)).decode()})
    bootstrap.migrate(settings)
    services = bootstrap.build(settings)
    yield services
    services.close()


def test_with_a_cipher_key_stored_events_do_not_contain_the_plaintext(encrypted):
    inv_id = case_with_history(encrypted)
    states = [e.state for e in encrypted.ledger.recorder.select_events(inv_id)]
    assert states and not any(b"second meeting" in bytes(s) for s in states)


def test_with_a_cipher_key_the_history_still_verifies(encrypted):
    inv_id = case_with_history(encrypted)
    assert verify_chain(encrypted.ledger, inv_id)["intact"]


def test_the_newest_events_deleted_by_hand_are_named_as_missing_against_the_anchored_head(services):
    inv_id = case_with_history(services)
    tamper(services, "DELETE FROM {table} WHERE originator_version >= 3 AND originator_id = ?",
           "DELETE FROM {table} WHERE originator_version >= 3 AND originator_id = %s", (stored_id(services, inv_id),))
    report = verify_chain(services.ledger, inv_id, services.anchors)
    assert report["first_broken"] == {
        "version": 3, "problem": "events 3 to 4 are missing (the chain was anchored at 4)"}


def test_a_snapshot_edited_by_hand_is_named(services):
    inv = services.investigations.open(HSI, title="Long case", threat_domain="cybercrime", summary=None).result
    for _ in range(200):
        services.investigations.log_action(HSI, inv["id"], kind="search", summary="s", occurred_at=None,
                                           location=None, expected_version=None)
    tamper(services, "UPDATE {table} SET state = CAST(replace(CAST(state AS TEXT), 'cybercrime', 'ip_theft') AS BLOB)",
           "UPDATE {table} SET state = convert_to(replace(convert_from(state, 'UTF8'), 'cybercrime', 'ip_theft'), "
           "'UTF8')", (), purpose="snapshots")
    report = verify_chain(services.ledger, inv["id"], services.anchors)
    assert report["first_broken"] == {"version": 200, "problem": "its snapshot does not match the events before it"}


def test_a_long_case_with_an_untouched_snapshot_verifies_intact(services):
    inv = services.investigations.open(HSI, title="Long case", threat_domain="cybercrime", summary=None).result
    for _ in range(200):
        services.investigations.log_action(HSI, inv["id"], kind="search", summary="s", occurred_at=None,
                                           location=None, expected_version=None)
    assert verify_chain(services.ledger, inv["id"], services.anchors)["intact"] is True


def test_verifying_while_the_audit_store_with_the_anchors_is_down_is_a_store_outage(services, tmp_path):
    from coordination.anchors import ChainAnchors
    from coordination.errors import StoreUnavailable
    from coordination.history import History
    from coordination.tables import DatabaseUnavailable, SQLiteDatabase

    inv_id = case_with_history(services)
    (tmp_path / "not-a-dir").write_text("a file where a directory should be")
    down = ChainAnchors(SQLiteDatabase(tmp_path / "not-a-dir" / "audit.db"), unavailable=(DatabaseUnavailable,))
    with pytest.raises(StoreUnavailable):
        History(services.ledger, down).verify(HSI, KIND, inv_id)
