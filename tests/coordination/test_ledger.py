"""The ledger's settings: snapshots for every aggregate that grows, and what the cache size means."""

from __future__ import annotations

import threading
from dataclasses import replace
from uuid import uuid4

from coordination.config import Settings
from coordination.ledger import Ledger, ledger_env
from domain.area_index import AreaIndex
from domain.case_numbers import CaseNumberSequence


def test_a_cache_size_of_zero_turns_the_aggregate_cache_off(services, settings: Settings) -> None:
    ledger = Ledger(env=ledger_env(replace(settings, aggregate_cache_size=0), create_tables=True))
    try:
        assert ledger.repository.cache is None
    finally:
        ledger.close()


def test_a_positive_cache_size_bounds_the_aggregate_cache(services, settings: Settings) -> None:
    ledger = Ledger(env=ledger_env(replace(settings, aggregate_cache_size=7), create_tables=True))
    try:
        assert ledger.repository.cache.maxsize == 7
    finally:
        ledger.close()


def test_a_case_number_sequence_is_snapshotted_as_it_grows(services) -> None:
    sequence_id = services.investigations.runner.keys().case_sequence("HSI", 2026)
    sequence = CaseNumberSequence.start(id=sequence_id, agency="HSI", year=2026)
    services.ledger.save(sequence)
    for _ in range(120):
        sequence.issue()
        services.ledger.save(sequence)
    snapshots = list(services.ledger.snapshots.get(sequence_id))
    assert [s.originator_version for s in snapshots] == [50, 100]


def index_record(entries: int = 0) -> AreaIndex:
    """An index record, unsaved, with `entries` entries (its version: 1 + entries)."""
    record = AreaIndex.start(id=uuid4(), cell="85283473fffffff", day="2027-01-04")
    for n in range(entries):
        enter(record, f"op-{n}")
    return record


def enter(record: AreaIndex, ref: str) -> None:
    record.enter({"ref": ref, "operation_id": ref})


def snapshot_versions(ledger: Ledger, record: AreaIndex) -> list[int]:
    ledger.settle()
    return [s.originator_version for s in ledger.snapshots.get(record.id)]


def test_an_index_record_is_snapshotted_from_the_record_just_saved(services) -> None:
    record = index_record()
    for n in range(45):
        enter(record, f"op-{n}")
        services.ledger.save(record)
    services.ledger.settle()
    snapshots = list(services.ledger.snapshots.get(record.id))
    assert [(s.originator_version, len(s.state["entries"])) for s in snapshots] == [(20, 19), (40, 39)]


def test_one_save_that_passes_an_index_record_s_interval_twice_snapshots_it_once_at_its_version(services) -> None:
    record = index_record(45)
    services.ledger.save(record)
    assert snapshot_versions(services.ledger, record) == [46]


def test_an_index_record_s_snapshot_is_written_after_the_save_returns(services, monkeypatch) -> None:
    record = index_record(18)
    services.ledger.save(record)  # version 19
    writing = threading.Event()
    recorder = services.ledger.snapshots.recorder
    insert = recorder.insert_events
    monkeypatch.setattr(recorder, "insert_events", lambda stored: (writing.wait(5), insert(stored)))
    enter(record, "op-18")

    services.ledger.save(record)  # version 20: returns while its snapshot waits to be written

    assert list(services.ledger.snapshots.get(record.id)) == []
    writing.set()
    assert snapshot_versions(services.ledger, record) == [20]


def test_an_index_record_changed_after_its_save_keeps_the_snapshot_of_the_version_saved(services) -> None:
    record = index_record(19)
    services.ledger.save(record)  # version 20
    enter(record, "op-late")  # before the snapshot is written, perhaps
    services.ledger.settle()

    (snapshot,) = services.ledger.snapshots.get(record.id)
    assert (snapshot.originator_version, "op-late" in snapshot.state["entries"]) == (20, False)
