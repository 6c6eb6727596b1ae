"""Correcting an earlier entry by a new event that names it; the original stays on record."""

from datetime import timedelta

import pytest

from domain.errors import NotPermitted, StateConflict
from domain.investigation import Investigation
from tests.domain.helpers import (
    AGENT,
    COLLEAGUE,
    NOW,
    PARTNER,
    PARTNER_SUPERVISOR,
    SUPERVISOR,
    add,
    business,
    entry_at,
    envelope,
    log,
    only_event,
    open_case,
    person,
    refused,
)

OPENING, ACTION, SUBJECT, PARTNERS_ACTION, STATUS_CHANGE, SHARE, BUSINESS = 1, 2, 3, 4, 5, 6, 7


# The stored history of the case under test, as the use case would read it from the ledger.
HISTORY: dict[int, object] = {}


@pytest.fixture(autouse=True)
def fresh_history():
    """Each test starts with no stored history of its own; none leaks from the test before."""
    HISTORY.clear()


def case_with_entries() -> Investigation:
    """Alice's case: her opening, action and person; a DEA contributor's action; a status change; a business."""
    inv = open_case(by=AGENT)
    log(inv, summary="Interviewed the driver", by=AGENT)
    add(inv, person(identifiers=[{"type": "name_dob", "value": "Juan Perez"}]), by=AGENT)
    log(inv, summary="Checked the plates", by=PARTNER)
    inv.change_status(status="active", reason="approved", merged_into=None, envelope=SUPERVISOR)
    inv.share(agency="DEA", access="contribute", envelope=AGENT)
    add(inv, business(), by=AGENT)
    HISTORY.clear()
    HISTORY.update({e.originator_version: e for e in inv.collect_events()})
    return inv


def entry_of(version: int) -> dict | None:
    return Investigation.entry_of(HISTORY[version]) if version in HISTORY else None


def correct(inv: Investigation, corrects: int, by=AGENT, reason: str = "typo", **changes) -> None:
    entry = entry_at(inv, corrects) or entry_of(corrects)
    inv.correct(corrects=corrects, entry=entry, changes=changes, reason=reason, now=NOW, envelope=by)


def subject_of(inv: Investigation, version: int) -> dict:
    return inv.subjects[str(HISTORY[version].subject_id)]


# --- who may correct --------------------------------------------------------------------------


def test_an_agent_corrects_their_own_action():
    inv = case_with_entries()

    correct(inv, ACTION, by=AGENT, reason="wrong word", summary="Interviewed the passenger")

    event = only_event(inv)
    assert isinstance(event, Investigation.EntryCorrected)
    assert (event.corrects, event.changes, event.reason) == (
        ACTION, {"summary": "Interviewed the passenger"}, "wrong word",
    )
    assert event.envelope["actor"]["sub"] == "alice"


def test_a_partner_agent_corrects_their_own_action_on_a_shared_case():
    inv = case_with_entries()

    correct(inv, PARTNERS_ACTION, by=PARTNER, kind="surveillance")

    assert only_event(inv).corrects == PARTNERS_ACTION


@pytest.mark.parametrize("by", [COLLEAGUE, PARTNER, PARTNER_SUPERVISOR], ids=["colleague", "partner", "partner-sup"])


def test_someone_who_is_neither_the_author_nor_a_supervisor_of_the_owning_agency_is_refused(by):
    inv = case_with_entries()

    error = refused(lambda: correct(inv, ACTION, by=by, summary="Something else"))

    assert error.field == "corrects"
    assert inv.collect_events() == []


@pytest.mark.parametrize("version", [OPENING, ACTION, SUBJECT, PARTNERS_ACTION])


def test_a_supervisor_of_the_owning_agency_corrects_anyones_entry(version):
    inv = case_with_entries()
    changes = {1: {"title": "Coyote"}, 3: {"role": "leader"}}.get(version, {"summary": "Reworded"})

    inv.correct(corrects=version, entry=entry_of(version),
                changes=changes, reason="review", now=NOW, envelope=SUPERVISOR)

    assert only_event(inv).corrects == version


# --- what a correction changes ----------------------------------------------------------------


def test_correcting_the_opening_changes_the_cases_title_summary_and_threat_domain():
    inv = case_with_entries()

    correct(inv, OPENING, title=" Sidewinder ", summary="Guns via Nogales", threat_domain="weapons_trafficking")

    assert (inv.title, inv.summary, inv.threat_domain) == (
        "Sidewinder", "Guns via Nogales", "weapons_trafficking",
    )


def test_correcting_a_subject_updates_its_details_and_keeps_the_rest():
    inv = case_with_entries()

    correct(inv, SUBJECT, name="Juan Perez Lopez", role="leader")

    subject = subject_of(inv, SUBJECT)
    assert (subject["name"], subject["role"]) == ("Juan Perez Lopez", "leader")
    assert (subject["kind"], subject["date_of_birth"]) == ("person", "1985-04-12")


def test_corrected_identifiers_are_normalised_with_the_subjects_date_of_birth():
    inv = case_with_entries()

    correct(inv, SUBJECT, identifiers=[{"type": "phone", "value": "+1 (555) 123-4567"},
                                       {"type": "name_dob", "value": "juan perez"},
                                       {"type": "phone", "value": "+15551234567"}])

    assert subject_of(inv, SUBJECT)["identifiers"] == [
        {"type": "phone", "value": "+15551234567", "country": None},
        {"type": "name_dob", "value": "JUAN PEREZ|1985-04-12", "country": None},
    ]


def test_a_business_can_be_corrected_to_witting():
    inv = case_with_entries()

    correct(inv, BUSINESS, witting=True)

    assert subject_of(inv, BUSINESS)["witting"] is True


def test_the_corrected_entry_stays_on_record_beside_its_correction():
    inv = open_case()
    log(inv, summary="Interviewed the driver")
    correct(inv, ACTION, summary="Interviewed the passenger")

    _, logged, corrected = inv.collect_events()

    assert logged.summary == "Interviewed the driver"
    assert corrected.corrects == logged.originator_version
    assert corrected.changes == {"summary": "Interviewed the passenger"}


def test_correcting_the_opening_leaves_the_opened_event_as_it_was():
    inv = open_case(title="Coyote")
    correct(inv, OPENING, title="Sidewinder")

    opened, corrected = inv.collect_events()

    assert (opened.title, corrected.changes["title"], inv.title) == ("Coyote", "Sidewinder", "Sidewinder")


# --- what a correction may name ---------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 99, STATUS_CHANGE, SHARE], ids=["zero", "unknown", "status", "share"])


def test_a_correction_naming_no_opening_action_or_subject_is_refused(version):
    inv = case_with_entries()

    assert refused(lambda: correct(inv, version, summary="x")).field == "corrects"


def test_a_correction_cannot_itself_be_corrected():
    inv = case_with_entries()
    correct(inv, ACTION, summary="Interviewed the passenger")
    correction = only_event(inv).originator_version

    assert refused(lambda: correct(inv, correction, reason="again", summary="x")).field == "corrects"


@pytest.mark.parametrize(
    ("version", "changes", "field"),
    [
        (OPENING, {"kind": "search"}, "changes.kind"),
        (OPENING, {"case_number": "HSI-2026-00002"}, "changes.case_number"),
        (ACTION, {"title": "New title"}, "changes.title"),
        (SUBJECT, {"kind": "business"}, "changes.kind"),
        (SUBJECT, {"summary": "x"}, "changes.summary"),
    ],
)


def test_a_field_that_this_kind_of_entry_cannot_have_corrected_is_refused(version, changes, field):
    inv = case_with_entries()

    error = refused(lambda: inv.correct(corrects=version, entry=entry_of(version),
                                        changes=changes, reason="r", now=NOW, envelope=AGENT))

    assert error.field == field


def test_a_correction_without_changes_is_refused():
    assert refused(lambda: correct(case_with_entries(), ACTION)).field == "changes"


def test_a_correction_without_a_reason_is_refused():
    assert refused(lambda: correct(case_with_entries(), ACTION, reason=" ", summary="x")).field == "reason"


@pytest.mark.parametrize(
    ("version", "changes", "field"),
    [
        (OPENING, {"title": "  "}, "changes.title"),
        (OPENING, {"threat_domain": "jaywalking"}, "changes.threat_domain"),
        (ACTION, {"summary": ""}, "changes.summary"),
        (ACTION, {"kind": "coffee_break"}, "changes.kind"),
        (ACTION, {"occurred_at": NOW + timedelta(minutes=6)}, "changes.occurred_at"),
        (ACTION, {"occurred_at": "2026-02-28T09:30:00Z"}, "changes.occurred_at"),
        (ACTION, {"location": {"lat": 91, "lon": 0}}, "changes.location.lat"),
        (SUBJECT, {"role": "mastermind"}, "changes.role"),
        (SUBJECT, {"date_of_birth": "2999-01-01"}, "changes.date_of_birth"),
        (SUBJECT, {"identifiers": "+15551234567"}, "changes.identifiers"),
        (BUSINESS, {"witting": "yes"}, "changes.witting"),
    ],
)


def test_corrected_values_are_checked_by_the_rule_that_checked_the_original(version, changes, field):
    inv = case_with_entries()

    error = refused(lambda: inv.correct(corrects=version, entry=entry_of(version),
                                        changes=changes, reason="r", now=NOW, envelope=AGENT))

    assert error.field == field
    assert inv.collect_events() == []


def test_a_corrected_action_time_is_kept_when_it_is_in_the_past():
    inv = case_with_entries()

    correct(inv, ACTION, occurred_at=NOW - timedelta(hours=3))

    assert only_event(inv).changes == {"occurred_at": NOW - timedelta(hours=3)}


def test_nothing_on_a_closed_case_can_be_corrected():
    inv = case_with_entries()
    inv.change_status(status="closed", reason="done", merged_into=None, envelope=SUPERVISOR)

    refused(lambda: correct(inv, ACTION, summary="x"), StateConflict)


# --- corrections keep the rules of the entries they correct ----------------------------------


def test_a_person_cannot_be_corrected_to_witting():
    inv = case_with_entries()

    assert refused(lambda: correct(inv, SUBJECT, witting=True)).field == "changes.witting"


def test_a_business_cannot_be_corrected_to_have_a_date_of_birth():
    inv = case_with_entries()

    assert refused(lambda: correct(inv, BUSINESS, date_of_birth="1990-01-01")).field == "changes.date_of_birth"


def test_correcting_a_persons_date_of_birth_updates_their_name_and_date_of_birth_identifier():
    inv = case_with_entries()

    correct(inv, SUBJECT, date_of_birth="1986-04-12")

    assert subject_of(inv, SUBJECT)["identifiers"] == [
        {"type": "name_dob", "value": "JUAN PEREZ|1986-04-12", "country": None},
    ]


def test_a_bad_corrected_identifier_is_refused_on_its_place_in_the_changes():
    inv = case_with_entries()

    error = refused(lambda: correct(inv, SUBJECT, identifiers=[{"type": "phone", "value": "555"}]))

    assert error.field == "changes.identifiers.0.value"


def test_a_corrected_latitude_that_is_not_a_number_is_refused():
    inv = case_with_entries()

    error = refused(lambda: correct(inv, ACTION, location={"lat": "north", "lon": -99.5}))

    assert error.field == "changes.location.lat"


def test_a_corrected_location_that_is_not_an_object_is_refused():
    inv = case_with_entries()

    assert refused(lambda: correct(inv, ACTION, location="Laredo")).field == "changes.location"


def test_a_corrected_identifier_that_is_not_an_object_is_refused():
    inv = case_with_entries()

    assert refused(lambda: correct(inv, SUBJECT, identifiers=["+15551234567"])).field == "changes.identifiers.0"



def test_a_namesake_in_another_agency_is_not_the_author_of_an_entry():
    inv = case_with_entries()  # PARTNER (dana of DEA) logged the action at version 4
    namesake = envelope("dana", "HSI", "agent")
    assert refused(lambda: correct(inv, PARTNERS_ACTION, by=namesake, summary="x"), NotPermitted).field == "corrects"


def test_removing_a_date_of_birth_drops_the_name_and_date_identifiers():
    inv = case_with_entries()
    correct(inv, SUBJECT, date_of_birth=None)
    assert subject_of(inv, SUBJECT)["identifiers"] == []
