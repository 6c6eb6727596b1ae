"""Reading many aggregates at once: the same state the repository gives, one by one, on both stores."""

from __future__ import annotations

import base64
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from coordination.bulk_reads import load_many
from coordination.commands import Session
from coordination.ledger import Ledger, ledger_env
from domain.area_index import AreaIndex
from domain.target_index import TargetIndex

DAY = "2027-01-04"


def entry(n: int) -> dict:
    start = datetime(2027, 1, 4, 9, tzinfo=UTC) + timedelta(minutes=n)
    return {"ref": f"op-{n}", "operation_id": f"op-{n}", "agency": "HSI", "starts_at": start,
            "ends_at": start + timedelta(hours=2), "path": [[25.77, -80.19]]}


def grown(ledger, entries: int) -> AreaIndex:
    """An index record saved once per entry, so it passes snapshots (every 50 events) as in service."""
    record = AreaIndex.start(id=uuid4(), cell="85283473fffffff", day=DAY)
    ledger.save(record)
    for n in range(entries):
        record.enter(entry(n))
        ledger.save(record)
    return record


@pytest.fixture
def ledger(services):
    return services.ledger


@pytest.mark.parametrize("checks", [1, 19, 20, 45])
def test_a_record_read_in_bulk_counts_its_checks_to_the_version_the_repository_reads(ledger, checks: int) -> None:
    record = grown(ledger, 3)
    for n in range(checks):
        record.touch(f"op-check-{n}")
        ledger.save(record)
    record.enter(entry(99))  # a change after the checks, applied on top of them
    ledger.save(record)
    ledger.settle()
    loaded = load_many(ledger, [record.id])[record.id]
    expected = ledger.repository.get(record.id)
    assert (loaded.version, loaded.entries) == (expected.version, expected.entries)


@pytest.mark.parametrize("entries", [0, 49, 50, 51, 120])
def test_a_record_read_in_bulk_equals_the_record_the_repository_reads(ledger, entries: int) -> None:
    record = grown(ledger, entries)
    loaded = load_many(ledger, [record.id])[record.id]
    expected = ledger.repository.get(record.id)
    assert (loaded.version, loaded.entries) == (expected.version, expected.entries)


def test_a_record_read_in_bulk_past_a_snapshot_has_every_later_entry(ledger) -> None:
    record = grown(ledger, 57)
    assert sorted(load_many(ledger, [record.id])[record.id].entries) == sorted(f"op-{n}" for n in range(57))


def test_several_records_of_several_kinds_are_read_in_one_call(ledger) -> None:
    area, target = grown(ledger, 3), TargetIndex.start(id=uuid4())
    ledger.save(target)
    found = load_many(ledger, [area.id, target.id])
    assert (type(found[area.id]), type(found[target.id])) == (AreaIndex, TargetIndex)


def test_an_id_never_saved_is_absent_from_a_bulk_read(ledger) -> None:
    area, never = grown(ledger, 2), uuid4()
    assert list(load_many(ledger, [area.id, never])) == [area.id]


def test_a_bulk_read_of_nothing_asks_the_store_nothing(services, settings) -> None:
    unconstructed = Ledger(env=ledger_env(settings, create_tables=False))
    assert load_many(unconstructed, []) == {} and not unconstructed.constructed


def test_a_record_read_in_bulk_can_be_changed_and_saved_at_its_next_version(ledger) -> None:
    record = grown(ledger, 60)
    loaded = load_many(ledger, [record.id])[record.id]
    loaded.enter(entry(60))
    ledger.save(loaded)
    assert ledger.repository.get(record.id).version == record.version + 1


def test_a_stale_record_read_in_bulk_collides_with_the_write_that_passed_it(ledger) -> None:
    record = grown(ledger, 5)
    first, second = (load_many(ledger, [record.id])[record.id] for _ in range(2))
    first.enter(entry(100))
    ledger.save(first)
    second.enter(entry(101))
    with pytest.raises(IntegrityError):
        ledger.save(second)


def test_an_encrypted_ledger_is_read_in_bulk_through_its_cipher(services, settings) -> None:
    keyed = replace(settings, cipher_key=base64.b64encode(secrets.token_bytes(32)).decode())
    ledger = Ledger(env=ledger_env(keyed, create_tables=True))
    try:
        record = grown(ledger, 51)
        assert len(load_many(ledger, [record.id])[record.id].entries) == 51
    finally:
        ledger.close()


def test_a_session_hands_out_one_object_per_record_however_it_is_looked_up(ledger) -> None:
    record = grown(ledger, 1)
    session = Session(ledger)
    many = session.find_many(AreaIndex, [record.id])[record.id]
    assert session.find(AreaIndex, record.id) is many


def test_a_session_reads_a_record_of_another_kind_as_absent(ledger) -> None:
    record = grown(ledger, 1)
    assert Session(ledger).find_many(TargetIndex, [record.id]) == {}
