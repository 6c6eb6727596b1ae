"""Case numbers, unique per agency and year, and the natural keys that make the store enforce uniqueness."""

from uuid import UUID

from domain.case_numbers import CaseNumberSequence
from domain.keys import case_sequence_id, investigation_id


def test_an_agencys_case_numbers_count_up_from_one_within_a_year():
    seq = CaseNumberSequence.start("HSI", 2026)

    assert [seq.issue(), seq.issue()] == ["HSI-2026-00001", "HSI-2026-00002"]


def test_each_issued_number_is_an_event_of_the_sequence():
    seq = CaseNumberSequence.start("HSI", 2026)
    seq.issue()
    seq.issue()

    started, *issued = seq.collect_events()

    assert (started.agency, started.year) == ("HSI", 2026)
    assert [e.number for e in issued] == [1, 2]


def test_a_sequence_replayed_from_its_events_continues_where_it_stopped():
    seq = CaseNumberSequence.start("DEA", 2025)
    seq.issue()
    events = seq.collect_events()
    rebuilt = events[0].mutate(None)
    for event in events[1:]:
        rebuilt = event.mutate(rebuilt)

    assert rebuilt.issue() == "DEA-2025-00002"


def test_a_sequences_id_is_derived_from_its_agency_and_year():
    seq = CaseNumberSequence.start("HSI", 2026)

    assert seq.id == case_sequence_id("HSI", 2026) == CaseNumberSequence.start("HSI", 2026).id
    assert seq.id.version == 5


def test_another_agency_or_year_has_another_sequence():
    ids = {case_sequence_id("HSI", 2026), case_sequence_id("DEA", 2026), case_sequence_id("HSI", 2027)}

    assert len(ids) == 3


def test_an_investigations_id_is_derived_from_its_case_number():
    assert investigation_id("HSI-2026-00001") == investigation_id("HSI-2026-00001")
    assert investigation_id("HSI-2026-00001") != investigation_id("HSI-2026-00002")


def test_the_natural_key_ids_never_change_because_stored_aggregates_depend_on_them():
    assert investigation_id("HSI-2026-00001") == UUID("62d8d20a-cd93-5f28-9162-38da17491c14")
