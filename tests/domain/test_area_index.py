"""An index record: what a check writes into it, always something, so that racing checks collide on it."""

from __future__ import annotations

from uuid import uuid4

from domain.area_index import AreaIndex


def record() -> AreaIndex:
    index = AreaIndex.start(id=uuid4(), cell="852a1073fffffff", day="2026-03-02")
    index.collect_events()
    return index


def entry(ref: str = "op-1", starts: str = "10:00") -> dict:
    return {"ref": ref, "operation_id": ref, "starts_at": starts}


def pending(index: AreaIndex) -> list[str]:
    return [type(e).__name__ for e in index.collect_events()]


def test_a_check_keeps_its_entry_where_its_path_runs():
    index = record()
    index.keep(entry(), here=True)

    assert (pending(index), index.entries) == (["Entered"], {"op-1": entry()})


def test_a_check_of_an_unchanged_entry_still_writes_the_record():
    index = record()
    index.keep(entry(), here=True)
    index.collect_events()
    index.keep(entry(), here=True)

    assert pending(index) == ["Checked"]


def test_a_check_elsewhere_in_its_ring_writes_the_record_without_keeping_anything():
    index = record()
    index.keep(entry(), here=False)

    assert (pending(index), index.entries) == (["Checked"], {})


def test_a_check_elsewhere_in_its_ring_drops_the_entry_kept_there_before():
    # Entries kept under the whole ring by earlier releases, or before the route moved.
    index = record()
    index.enter(entry())
    index.collect_events()
    index.keep(entry(), here=False)

    assert (pending(index), index.entries) == (["Left"], {})


def test_a_checked_record_keeps_the_entries_of_others():
    index = record()
    index.enter(entry("op-2"))
    index.touch("op-1")

    assert index.entries == {"op-2": entry("op-2")}
