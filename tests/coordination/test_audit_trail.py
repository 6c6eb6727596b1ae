"""The audit trail: append-only, hash-chained, filterable, auditors only."""

from __future__ import annotations

import threading

import pytest

from coordination.audit import AuditRecord
from coordination.context import RequestContext
from coordination.errors import Forbidden
from domain.envelope import Actor

AUDITOR = RequestContext(Actor("aud", "OIG", "Aud", frozenset({"auditor"})), "r")


def record(services, sub="alice", outcome="allowed", object_id="case-1") -> int:
    return services.audit.record(AuditRecord(sub=sub, agency="HSI", action="GET investigations.InvestigationItem",
                                             outcome=outcome, status=200, request_id="r", source="127.0.0.1",
                                             object_type="investigation", object_id=object_id))


def test_records_are_numbered_in_order(services):
    assert [record(services) for _ in range(3)] == [1, 2, 3]


def test_a_chain_of_records_verifies_intact(services):
    for _ in range(5):
        record(services)
    assert services.audit.verify() == {"intact": True, "records": 5, "head": services.audit.verify()["head"],
                                       "first_broken": None}


def test_a_record_changed_by_hand_is_named(services):
    for _ in range(3):
        record(services)
    with services.audit_db.transaction(write=True) as cur:
        cur.execute("UPDATE audit_records SET outcome = 'denied' WHERE seq = 2")
    assert services.audit.verify()["first_broken"] == {"seq": 2, "problem": "its content does not match its hash"}


def test_a_record_deleted_by_hand_is_named(services):
    for _ in range(3):
        record(services)
    with services.audit_db.transaction(write=True) as cur:
        cur.execute("DELETE FROM audit_records WHERE seq = 2")
    assert services.audit.verify()["first_broken"] == {"seq": 3, "problem": "record 2 is missing"}


def test_records_appended_from_eight_threads_form_one_unbroken_chain(services):
    threads = [threading.Thread(target=lambda: [record(services) for _ in range(10)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = services.audit.verify()
    assert report["intact"] and report["records"] == 80


def test_the_trail_can_be_filtered_by_actor_and_outcome(services):
    record(services, sub="alice")
    record(services, sub="bob", outcome="denied")
    page = services.audit.search(AUDITOR, filters={"sub": "bob", "outcome": "denied"})
    assert [(r["sub"], r["outcome"]) for r in page["items"]] == [("bob", "denied")]


def test_the_trail_pages_newest_first(services):
    for n in range(5):
        record(services, object_id=f"case-{n}")
    first = services.audit.search(AUDITOR, filters={}, limit=2)
    second = services.audit.search(AUDITOR, filters={}, limit=2, before=first["next_before"])
    assert [r["seq"] for r in first["items"] + second["items"]] == [5, 4, 3, 2]


def test_only_auditors_read_the_trail(services):
    with pytest.raises(Forbidden):
        services.audit.search(RequestContext(Actor("a", "HSI", "A", frozenset({"agent", "admin"})), "r"), filters={})


def test_a_record_made_while_the_audit_store_is_down_is_chained_once_it_is_back(services, tmp_path):
    from coordination.audit import AuditTrail
    from coordination.audit_spool import AuditSpool
    from projections.sql import DatabaseUnavailable, SQLiteDatabase

    spool = AuditSpool(tmp_path / "spool.jsonl")
    unreachable = SQLiteDatabase(tmp_path / "no-such-dir" / "file-not-dir" / "audit.db")
    (tmp_path / "no-such-dir").write_text("a file where a directory should be")
    down = AuditTrail(unreachable, unavailable=(DatabaseUnavailable,), spool=spool)
    up = AuditTrail(services.audit_db, unavailable=(DatabaseUnavailable,), spool=spool)

    down.record(AuditRecord(sub="while-down", agency="HSI", action="GET x", outcome="allowed", status=200,
                            request_id="r1", source="127.0.0.1"))
    up.record(AuditRecord(sub="after", agency="HSI", action="GET x", outcome="allowed", status=200,
                          request_id="r2", source="127.0.0.1"))

    page = services.audit.search(AUDITOR, filters={})
    assert [r["sub"] for r in reversed(page["items"])] == ["while-down", "after"]
    assert services.audit.verify()["intact"] and not spool.pending()
