"""Case numbers, unique per agency and year, and the natural keys that make the store enforce uniqueness."""

from uuid import UUID

from domain.case_numbers import CaseNumberSequence
from domain.keys import BASE, NaturalKeys, namespace_of
from tests.domain.helpers import KEYS


def test_an_agencys_case_numbers_count_up_from_one_within_a_year():
    seq = CaseNumberSequence.start(id=KEYS.case_sequence("HSI", 2026), agency="HSI", year=2026)

    assert [seq.issue(), seq.issue()] == ["HSI-2026-00001", "HSI-2026-00002"]


def test_each_issued_number_is_an_event_of_the_sequence():
    seq = CaseNumberSequence.start(id=KEYS.case_sequence("HSI", 2026), agency="HSI", year=2026)
    seq.issue()
    seq.issue()

    started, *issued = seq.collect_events()

    assert (started.agency, started.year) == ("HSI", 2026)
    assert [e.number for e in issued] == [1, 2]


def test_a_sequence_replayed_from_its_events_continues_where_it_stopped():
    seq = CaseNumberSequence.start(id=KEYS.case_sequence("DEA", 2025), agency="DEA", year=2025)
    seq.issue()
    events = seq.collect_events()
    rebuilt = events[0].mutate(None)
    for event in events[1:]:
        rebuilt = event.mutate(rebuilt)

    assert rebuilt.issue() == "DEA-2025-00002"


def test_another_agency_or_year_has_another_sequence():
    ids = {KEYS.case_sequence("HSI", 2026), KEYS.case_sequence("DEA", 2026), KEYS.case_sequence("HSI", 2027)}

    assert len(ids) == 3


def test_an_investigations_id_is_derived_from_its_case_number():
    assert KEYS.investigation("HSI-2026-00001") == KEYS.investigation("HSI-2026-00001")
    assert KEYS.investigation("HSI-2026-00001") != KEYS.investigation("HSI-2026-00002")


def test_another_deployment_gives_the_same_case_number_another_id():
    other = NaturalKeys(namespace_of("a1" * 32))

    assert other.investigation("HSI-2026-00001") != KEYS.investigation("HSI-2026-00001")


def test_an_id_under_a_secret_namespace_is_not_the_one_the_published_namespace_gives():
    assert KEYS.investigation("HSI-2026-00001") != NaturalKeys(BASE).investigation("HSI-2026-00001")


def test_the_natural_key_ids_never_change_because_stored_aggregates_depend_on_them():
    assert NaturalKeys(BASE).investigation("HSI-2026-00001") == UUID("62d8d20a-cd93-5f28-9162-38da17491c14")
    assert namespace_of("5e" * 32) == namespace_of("5e" * 32)
