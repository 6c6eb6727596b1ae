"""Adding the people, organisations and businesses of a network to a case."""

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.errors import StateConflict
from domain.investigation import Investigation
from tests.domain.helpers import NOW, add, business, frozen_case, only_event, opened_case, person, refused


def test_a_person_is_added_with_checked_details():
    inv = opened_case()
    subject_id = uuid4()

    add(inv, person(name="  Juan Perez "), subject_id=subject_id)

    event = only_event(inv)
    assert isinstance(event, Investigation.SubjectAdded)
    assert event.subject_id == subject_id
    assert event.details == {
        "kind": "person", "name": "Juan Perez", "role": "transporter", "witting": None,
        "date_of_birth": "1985-04-12", "identifiers": [],
    }


def test_an_added_subject_is_kept_on_the_case_with_the_version_that_added_it():
    inv = opened_case()

    subject_id = add(inv, person())

    assert inv.subjects[str(subject_id)]["name"] == "Juan Perez"
    assert inv.subjects[str(subject_id)]["version"] == 2
    assert Investigation.entry_of(inv.pending_events[-1]) == {
        "version": 2, "kind": "subject", "author": "alice", "agency": "HSI", "subject_id": str(subject_id)}


@pytest.mark.parametrize("witting", [True, False])
def test_a_business_says_whether_it_is_witting(witting):
    inv = opened_case()

    add(inv, business(witting=witting))

    assert only_event(inv).details["witting"] is witting


def test_a_business_without_witting_is_refused():
    assert refused(lambda: add(opened_case(), business(witting=None))).field == "witting"


@pytest.mark.parametrize("details", [person(witting=True), business(kind="organization", witting=False)])
def test_only_a_business_can_be_witting_or_unwitting(details):
    assert refused(lambda: add(opened_case(), details)).field == "witting"


def test_an_organization_cannot_have_a_date_of_birth():
    details = business(kind="organization", witting=None, date_of_birth="1990-01-01")

    assert refused(lambda: add(opened_case(), details)).field == "date_of_birth"


def test_a_date_of_birth_in_the_future_is_refused():
    tomorrow = (NOW.date() + timedelta(days=1)).isoformat()

    assert refused(lambda: add(opened_case(), person(date_of_birth=tomorrow))).field == "date_of_birth"


def test_a_date_of_birth_that_is_not_an_iso_date_is_refused():
    assert refused(lambda: add(opened_case(), person(date_of_birth="12/04/1985"))).field == "date_of_birth"


def test_an_unknown_subject_kind_is_refused():
    assert refused(lambda: add(opened_case(), person(kind="alien"))).field == "kind"


def test_an_unknown_network_role_is_refused():
    assert refused(lambda: add(opened_case(), person(role="mastermind"))).field == "role"


def test_a_subject_without_a_name_is_refused():
    assert refused(lambda: add(opened_case(), person(name="  "))).field == "name"


def test_identifiers_are_normalised():
    inv = opened_case()

    add(inv, person(identifiers=[{"type": "phone", "value": "+1 (555) 123-4567"},
                                 {"type": "email", "value": "Juan@Example.ORG"}]))

    assert only_event(inv).details["identifiers"] == [
        {"type": "phone", "value": "+15551234567", "country": None},
        {"type": "email", "value": "juan@example.org", "country": None},
    ]


def test_duplicate_identifiers_are_dropped_keeping_the_first():
    inv = opened_case()

    add(inv, person(identifiers=[{"type": "phone", "value": "+1 (555) 123-4567"},
                                 {"type": "email", "value": "juan@example.org"},
                                 {"type": "phone", "value": "+1.555.123.4567"}]))

    assert [i["type"] for i in only_event(inv).details["identifiers"]] == ["phone", "email"]


def test_a_bad_identifier_is_refused_with_its_position_and_field():
    details = person(identifiers=[{"type": "email", "value": "juan@example.org"},
                                  {"type": "phone", "value": "555-1234"}])

    assert refused(lambda: add(opened_case(), details)).field == "identifiers.1.value"


def test_an_identifier_of_unknown_type_is_refused_on_its_type():
    details = person(identifiers=[{"type": "shoe_size", "value": "42"}])

    assert refused(lambda: add(opened_case(), details)).field == "identifiers.0.type"


def test_a_name_and_date_of_birth_identifier_uses_the_subjects_date_of_birth():
    inv = opened_case()

    add(inv, person(date_of_birth="1985-04-12", identifiers=[{"type": "name_dob", "value": "Juán Pérez"}]))

    assert only_event(inv).details["identifiers"] == [
        {"type": "name_dob", "value": "JUAN PEREZ|1985-04-12", "country": None},
    ]


def test_a_name_and_date_of_birth_identifier_without_a_date_of_birth_is_refused():
    details = person(date_of_birth=None, identifiers=[{"type": "name_dob", "value": "Juan Perez"}])

    assert refused(lambda: add(opened_case(), details)).field == "identifiers.0.date_of_birth"


def test_more_than_fifty_identifiers_are_refused():
    identifiers = [{"type": "phone", "value": f"+1555000{n:04d}"} for n in range(51)]

    assert refused(lambda: add(opened_case(), person(identifiers=identifiers))).field == "identifiers"


@pytest.mark.parametrize("status", ["closed", "merged"])
def test_no_subject_can_be_added_to_a_closed_or_merged_case(status):
    inv = frozen_case(status)

    refused(lambda: add(inv, person()), StateConflict)
    assert inv.subjects == {}
