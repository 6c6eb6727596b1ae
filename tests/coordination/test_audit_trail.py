"""The audit trail: append-only, hash-chained, filterable, auditors only."""

from __future__ import annotations

import threading

import pytest

from coordination.audit import AuditRecord
from coordination.context import RequestContext
from coordination.errors import Forbidden
from domain.envelope import Actor

# The platform's own oversight (auditor and admin) sees every record.
AUDITOR = RequestContext(Actor("aud", "OIG", "Aud", frozenset({"auditor", "admin"})), "r")


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


def as_schema_owner(services, statement: str) -> None:
    """Change the trail as someone who owns the schema could: first switch off its append-only triggers."""
    with services.audit_db.transaction(write=True) as cur:
        if services.audit_db.dialect == "sqlite":
            cur.execute("DROP TRIGGER audit_records_no_update")
            cur.execute("DROP TRIGGER audit_records_no_delete")
        else:
            cur.execute("ALTER TABLE audit_records DISABLE TRIGGER USER")
        cur.execute(statement)


@pytest.mark.parametrize("statement", ["UPDATE audit_records SET outcome = 'denied' WHERE seq = 1",
                                       "DELETE FROM audit_records WHERE seq = 1"], ids=["update", "delete"])
def test_the_store_refuses_to_change_or_remove_a_record(services, statement):
    record(services)
    with pytest.raises(Exception, match="append-only"), services.audit_db.transaction(write=True) as cur:
        cur.execute(statement)
    assert services.audit.verify() == {"intact": True, "records": 1, "head": services.audit.verify()["head"],
                                       "first_broken": None}


def test_a_record_changed_by_the_schema_owner_is_named(services):
    for _ in range(3):
        record(services)
    as_schema_owner(services, "UPDATE audit_records SET outcome = 'denied' WHERE seq = 2")
    assert services.audit.verify()["first_broken"] == {"seq": 2, "problem": "its content does not match its hash"}


def test_a_record_deleted_by_the_schema_owner_is_named(services):
    for _ in range(3):
        record(services)
    as_schema_owner(services, "DELETE FROM audit_records WHERE seq = 2")
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
    from coordination.tables import DatabaseUnavailable, SQLiteDatabase

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


def test_a_torn_spool_line_is_set_aside_and_recorded_without_blocking_the_rest(services, tmp_path):
    from coordination.audit import AuditTrail
    from coordination.audit_spool import AuditSpool
    from coordination.tables import DatabaseUnavailable

    spool = AuditSpool(tmp_path / "spool.jsonl")
    spool.path.write_text('{"sub":"x","agen\n')
    trail = AuditTrail(services.audit_db, unavailable=(DatabaseUnavailable,), spool=spool)
    trail.record(AuditRecord(sub="after", agency="HSI", action="GET x", outcome="allowed", status=200,
                             request_id="r", source="127.0.0.1"))
    page = services.audit.search(AUDITOR, filters={})
    assert [(r["sub"], r["outcome"]) for r in reversed(page["items"])] == [("-", "failed"), ("after", "allowed")]
    assert (tmp_path / "spool.corrupt").read_text() == '{"sub":"x","agen\n' and not spool.pending()


def test_a_spool_drained_twice_records_nothing_twice(services, tmp_path):
    import json
    from dataclasses import asdict

    from coordination.audit import AuditTrail
    from coordination.audit_spool import AuditSpool
    from coordination.tables import DatabaseUnavailable

    spooled = asdict(AuditRecord(sub="spooled", agency="HSI", action="GET x", outcome="allowed", status=200,
                                 request_id="r", source="127.0.0.1"))
    spool = AuditSpool(tmp_path / "spool.jsonl")
    trail = AuditTrail(services.audit_db, unavailable=(DatabaseUnavailable,), spool=spool)
    for _ in range(2):  # as after a crash between the commit and the truncation of the spool
        spool.path.write_text(json.dumps(spooled) + "\n")
        record(services, sub="now")
        trail.record(AuditRecord(sub="now", agency="HSI", action="GET x", outcome="allowed", status=200,
                                 request_id="r", source="127.0.0.1"))
    subs = [r["sub"] for r in services.audit.search(AUDITOR, filters={})["items"]]
    assert subs.count("spooled") == 1


def test_an_agencys_auditor_sees_its_peoples_records_and_records_on_its_cases_only(services):
    def add(sub: str, agency: str, owner: str) -> None:
        services.audit.record(AuditRecord(sub=sub, agency=agency, action="GET x", outcome="allowed", status=200,
                                          request_id="r", source="127.0.0.1", object_owner=owner))

    add("alice", "HSI", "DEA")  # an HSI agent reads a DEA case
    add("dave", "DEA", "HSI")  # a DEA agent reads an HSI case
    add("dan", "DEA", "DEA")  # DEA's own business
    hsi_auditor = RequestContext(Actor("audrey", "HSI", "Audrey", frozenset({"auditor"})), "r")
    page = services.audit.search(hsi_auditor, filters={})
    assert sorted(r["sub"] for r in page["items"]) == ["alice", "dave"]


def spooled(sub: str, **extra) -> dict:
    from dataclasses import asdict

    row = asdict(AuditRecord(sub=sub, agency="HSI", action="GET x", outcome="allowed", status=200,
                             request_id="r", source="127.0.0.1"))
    return {**row, **extra}


def _long_spool(services, tmp_path):
    import json

    from coordination.audit import AuditTrail
    from coordination.audit_spool import AuditSpool
    from coordination.tables import DatabaseUnavailable

    spool = AuditSpool(tmp_path / "spool.jsonl")
    spool.path.write_text("".join(json.dumps(spooled(f"s{n}")) + "\n" for n in range(1200)))
    return spool, AuditTrail(services.audit_db, unavailable=(DatabaseUnavailable,), spool=spool)


def _now(n: int) -> AuditRecord:
    return AuditRecord(sub=f"now{n}", agency="HSI", action="GET x", outcome="allowed", status=200, request_id="r",
                       source="127.0.0.1")


def test_a_request_chains_at_most_one_batch_of_a_long_spool_and_its_own_record_waits_behind_it(services, tmp_path):
    spool, trail = _long_spool(services, tmp_path)
    trail.record(_now(0))
    assert services.audit.verify()["records"] == 500 and spool.pending()


def test_a_long_spool_is_emptied_by_the_requests_that_follow_oldest_first(services, tmp_path):
    spool, trail = _long_spool(services, tmp_path)
    for n in range(4):
        trail.record(_now(n))
    subs = [r["sub"] for r in reversed(services.audit.search(AUDITOR, filters={}, limit=500)["items"])]
    assert services.audit.verify()["records"] == 1204 and not spool.pending()
    assert subs[-4:] == ["now0", "now1", "now2", "now3"]


def test_chain_heads_spooled_with_a_record_are_anchored_when_it_is_chained(services, tmp_path):
    import json
    import uuid

    from coordination.audit import AuditTrail
    from coordination.audit_spool import AuditSpool
    from coordination.tables import DatabaseUnavailable

    case = uuid.uuid4()
    spool = AuditSpool(tmp_path / "spool.jsonl")
    spool.path.write_text(json.dumps(spooled("while-down", _heads=[[str(case), 7, "d" * 64]])) + "\n")
    AuditTrail(services.audit_db, unavailable=(DatabaseUnavailable,), spool=spool).record(
        AuditRecord(sub="now", agency="HSI", action="GET x", outcome="allowed", status=200, request_id="r",
                    source="127.0.0.1"))
    assert services.anchors.anchored(case) == (7, "d" * 64)


def test_a_record_spooled_after_a_torn_line_is_kept_whole(tmp_path):
    import json

    from coordination.audit_spool import AuditSpool

    spool = AuditSpool(tmp_path / "spool.jsonl")
    spool.path.write_text('{"torn":')
    spool.add(spooled("whole"))
    assert json.loads(spool.path.read_text().splitlines()[1])["sub"] == "whole"
