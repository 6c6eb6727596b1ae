"""A conflict's life: detected, taken by a coordinator, acknowledged by its parties, then resolved or escalated;
made obsolete and reopened as re-checks of amended plans find the pair apart or together again."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.conflict import RESOLUTIONS, Conflict
from domain.errors import NotPermitted, StateConflict
from tests.domain.helpers import envelope, refused

HSI_AGENT = envelope("alice", "HSI", "agent")
DEA_AGENT = envelope("dana", "DEA", "agent")
FBI_AGENT = envelope("fred", "FBI", "agent")
COORDINATOR = envelope("cora", "WATCH", "coordinator", name="Cora Watch")
OTHER_COORDINATOR = envelope("chris", "WATCH", "coordinator", name="Chris Watch")
TEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def party(agency, phone="+1 202 555 0100"):
    return {"agency": agency, "investigation_id": str(uuid4()), "operation_id": str(uuid4()),
            "deconfliction_number": f"DX-2026-{agency}", "point_of_contact": {"name": "On call", "phone": phone},
            "kind": "raid", "starts_at": TEN, "ends_at": NOON}


def finding(severity="high", distance_m=120):
    return {"kind": "event_proximity", "severity": severity, "distance_m": distance_m,
            "overlap": {"starts_at": TEN - timedelta(hours=1), "ends_at": NOON + timedelta(hours=1)}}


def detected(severity="high", parties=None):
    """A conflict between an HSI submission already known and the DEA one checked now; its events collected."""
    conflict = Conflict.detect(id=uuid4(), finding=finding(severity), parties=parties or [party("HSI"), party("DEA")],
                               envelope=DEA_AGENT)
    conflict.collect_events()
    return conflict


def acknowledged_by_both():
    conflict = detected()
    conflict.acknowledge(note=None, envelope=HSI_AGENT)
    conflict.acknowledge(note=None, envelope=DEA_AGENT)
    conflict.collect_events()
    return conflict


def resolved():
    conflict = detected()
    conflict.resolve(resolution="joint", note="One team, one entry", envelope=HSI_AGENT)
    conflict.collect_events()
    return conflict


def obsolete():
    conflict = detected()
    conflict.no_longer_holds(reason="the amended plan no longer conflicts", envelope=DEA_AGENT)
    conflict.collect_events()
    return conflict


def only_event(conflict):
    events = conflict.collect_events()
    assert len(events) == 1, events
    return events[0]


def replayed(events):
    conflict = events[0].mutate(None)
    for event in events[1:]:
        conflict = event.mutate(conflict)
    return conflict


# --- detection -------------------------------------------------------------------------------------------------


def test_a_detected_conflict_keeps_the_rule_its_severity_and_both_parties():
    parties = [party("HSI"), party("DEA")]

    conflict = Conflict.detect(id=uuid4(), finding=finding(), parties=parties, envelope=DEA_AGENT)

    assert (conflict.kind, conflict.severity, conflict.distance_m) == ("event_proximity", "high", 120)
    assert conflict.parties == parties
    assert conflict.overlap == finding()["overlap"]


def test_a_detected_conflict_is_waiting_for_a_coordinator_and_for_both_parties():
    conflict = detected()

    assert conflict.status == "detected"
    assert (conflict.coordinator, conflict.acknowledged_by) == (None, [])


def test_a_conflict_is_owned_by_the_agency_of_the_submission_known_first():
    assert detected(parties=[party("DEA"), party("HSI")]).owning_agency == "DEA"


def test_the_agencies_of_both_parties_see_the_conflict_and_no_other():
    conflict = detected()

    assert conflict.party_agencies == ["DEA", "HSI"]
    assert [conflict.access_of(a) for a in ("HSI", "DEA", "FBI")] == ["party", "party", None]


def test_no_agency_reads_the_events_of_a_conflict_directly():
    conflict = Conflict.detect(id=uuid4(), finding=finding(), parties=[party("HSI"), party("DEA")],
                               envelope=DEA_AGENT)

    assert not any(conflict.sees_event(a, e) for a in ("HSI", "DEA") for e in conflict.collect_events())


@pytest.mark.parametrize("severity, within", [
    ("critical", timedelta(minutes=15)),
    ("high", timedelta(minutes=15)),
    ("medium", timedelta(hours=24)),
])
def test_the_parties_must_acknowledge_within_15_minutes_if_high_or_critical_and_24_hours_if_medium(severity, within):
    conflict = detected(severity)

    assert conflict.acknowledge_by == conflict.detected_at + within


def test_a_low_severity_conflict_has_no_acknowledgement_deadline():
    assert detected("low").acknowledge_by is None


def test_a_conflict_is_detected_when_its_first_event_happened():
    conflict = Conflict.detect(id=uuid4(), finding=finding(), parties=[party("HSI"), party("DEA")],
                               envelope=DEA_AGENT)

    (event,) = conflict.collect_events()
    assert conflict.detected_at == event.timestamp


# --- taking ----------------------------------------------------------------------------------------------------


def test_a_coordinator_who_takes_a_conflict_owns_it():
    conflict = detected()

    conflict.take(note="Calling both", envelope=COORDINATOR)

    assert conflict.status == "owned"
    assert conflict.coordinator == {"sub": "cora", "name": "Cora Watch", "agency": "WATCH"}
    assert only_event(conflict).note == "Calling both"


def test_an_agent_cannot_take_a_conflict():
    conflict = detected()

    refused(lambda: conflict.take(note=None, envelope=HSI_AGENT), NotPermitted)

    assert conflict.coordinator is None
    assert conflict.collect_events() == []


def test_a_coordinator_cannot_take_a_conflict_they_own_already():
    conflict = detected()
    conflict.take(note=None, envelope=COORDINATOR)
    conflict.collect_events()

    refused(lambda: conflict.take(note=None, envelope=COORDINATOR), StateConflict)


def test_another_coordinator_can_take_a_conflict_over():
    conflict = detected()
    conflict.take(note=None, envelope=COORDINATOR)

    conflict.take(note="Shift change", envelope=OTHER_COORDINATOR)

    assert conflict.coordinator["sub"] == "chris"


def test_a_taking_note_that_is_not_text_is_refused_naming_note():
    assert refused(lambda: detected().take(note=42, envelope=COORDINATOR)).field == "note"


# --- acknowledging ---------------------------------------------------------------------------------------------


def test_a_party_that_acknowledges_is_on_record_as_having_done_so():
    conflict = detected()

    conflict.acknowledge(note="Will call DEA", envelope=HSI_AGENT)

    event = only_event(conflict)
    assert (event.agency, event.note) == ("HSI", "Will call DEA")
    assert conflict.acknowledged_by == ["HSI"]


def test_a_conflict_acknowledged_by_one_party_only_is_not_acknowledged():
    conflict = detected()
    conflict.take(note=None, envelope=COORDINATOR)

    conflict.acknowledge(note=None, envelope=DEA_AGENT)

    assert conflict.status == "owned"


def test_a_conflict_is_acknowledged_once_both_agencies_did():
    conflict = detected()
    conflict.acknowledge(note=None, envelope=DEA_AGENT)

    conflict.acknowledge(note=None, envelope=HSI_AGENT)

    assert conflict.status == "acknowledged"
    assert conflict.acknowledged_by == ["DEA", "HSI"]


def test_an_agency_that_is_not_a_party_cannot_acknowledge():
    conflict = detected()

    refused(lambda: conflict.acknowledge(note=None, envelope=FBI_AGENT), NotPermitted)

    assert conflict.acknowledged_by == []
    assert conflict.collect_events() == []


def test_a_coordinator_outside_the_parties_cannot_acknowledge_for_them():
    refused(lambda: detected().acknowledge(note=None, envelope=COORDINATOR), NotPermitted)


def test_a_party_cannot_acknowledge_twice():
    conflict = detected()
    conflict.acknowledge(note=None, envelope=HSI_AGENT)
    conflict.collect_events()

    refused(lambda: conflict.acknowledge(note=None, envelope=envelope("bob", "HSI")), StateConflict)

    assert conflict.collect_events() == []


# --- resolving and escalating ----------------------------------------------------------------------------------


@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_a_conflict_resolved_one_of_the_listed_ways_is_resolved(resolution):
    conflict = detected()

    conflict.resolve(resolution=resolution, note="  Agreed by phone  ", envelope=HSI_AGENT)

    assert conflict.status == "resolved"
    assert conflict.resolution == {"resolution": resolution, "note": "Agreed by phone"}


def test_the_listed_resolutions_are_those_of_the_watch_centres():
    assert set(RESOLUTIONS) == {"proceed_separately", "joint", "rescheduled", "cancelled", "not_a_conflict"}


def test_a_resolution_not_on_the_list_is_refused_naming_resolution():
    conflict = detected()

    error = refused(lambda: conflict.resolve(resolution="ignored", note="Meh", envelope=HSI_AGENT))

    assert error.field == "resolution"
    assert conflict.collect_events() == []


@pytest.mark.parametrize("note", ["", "   "])
def test_a_resolution_without_a_note_is_refused_naming_note(note):
    error = refused(lambda: detected().resolve(resolution="joint", note=note, envelope=HSI_AGENT))

    assert error.field == "note"


def test_an_acknowledged_conflict_can_be_resolved():
    conflict = acknowledged_by_both()

    conflict.resolve(resolution="rescheduled", note="DEA moves to Thursday", envelope=DEA_AGENT)

    assert conflict.status == "resolved"


def test_an_escalated_conflict_waits_for_management():
    conflict = acknowledged_by_both()

    conflict.escalate(reason="Neither will move", envelope=COORDINATOR)

    assert conflict.status == "escalated"
    assert conflict.escalation == "Neither will move"


def test_a_conflict_cannot_be_escalated_twice():
    conflict = detected()
    conflict.escalate(reason="Neither will move", envelope=COORDINATOR)
    conflict.collect_events()

    refused(lambda: conflict.escalate(reason="Still stuck", envelope=COORDINATOR), StateConflict)


def test_escalating_without_a_reason_is_refused_naming_reason():
    assert refused(lambda: detected().escalate(reason="", envelope=COORDINATOR)).field == "reason"


def test_an_escalated_conflict_can_be_resolved():
    conflict = detected()
    conflict.escalate(reason="Neither will move", envelope=COORDINATOR)

    conflict.resolve(resolution="joint", note="Management decided", envelope=COORDINATOR)

    assert conflict.status == "resolved"


@pytest.mark.parametrize("command", [
    lambda c: c.take(note=None, envelope=COORDINATOR),
    lambda c: c.acknowledge(note=None, envelope=HSI_AGENT),
    lambda c: c.escalate(reason="Late objection", envelope=DEA_AGENT),
    lambda c: c.resolve(resolution="cancelled", note="Again", envelope=DEA_AGENT),
], ids=["take", "acknowledge", "escalate", "resolve"])
def test_a_resolved_conflict_refuses_every_further_step(command):
    conflict = resolved()

    refused(lambda: command(conflict), StateConflict)

    assert conflict.collect_events() == []


# --- re-checks after amendments --------------------------------------------------------------------------------


def test_a_conflict_the_re_check_no_longer_finds_becomes_obsolete():
    conflict = detected()

    assert conflict.no_longer_holds(reason="the operation was withdrawn", envelope=DEA_AGENT) is True

    assert conflict.status == "obsolete"
    assert only_event(conflict).reason == "the operation was withdrawn"


def test_an_obsolete_conflict_refuses_further_steps():
    refused(lambda: obsolete().acknowledge(note=None, envelope=HSI_AGENT), StateConflict)


def test_an_obsolete_conflict_is_not_made_obsolete_again():
    conflict = obsolete()

    assert conflict.no_longer_holds(reason="still apart", envelope=DEA_AGENT) is False
    assert conflict.collect_events() == []


def test_a_resolved_conflict_stays_resolved_when_the_pair_no_longer_conflicts():
    conflict = resolved()

    assert conflict.no_longer_holds(reason="the operation was withdrawn", envelope=DEA_AGENT) is False

    assert conflict.status == "resolved"
    assert conflict.collect_events() == []


def test_an_obsolete_conflict_found_again_is_reopened():
    conflict = obsolete()

    outcome = conflict.still_holds(finding=finding("critical", 80), parties=conflict.parties, envelope=HSI_AGENT)

    assert outcome == "reopened"
    assert isinstance(only_event(conflict), Conflict.Reopened)
    assert (conflict.status, conflict.severity, conflict.distance_m) == ("detected", "critical", 80)


def test_reopening_a_conflict_resets_its_acknowledgements():
    conflict = acknowledged_by_both()
    conflict.no_longer_holds(reason="moved apart", envelope=DEA_AGENT)

    conflict.still_holds(finding=finding(), parties=conflict.parties, envelope=DEA_AGENT)

    assert conflict.acknowledged_by == []
    assert conflict.status == "detected"


def test_a_reopened_conflict_keeps_its_coordinator():
    conflict = detected()
    conflict.take(note=None, envelope=COORDINATOR)
    conflict.no_longer_holds(reason="moved apart", envelope=DEA_AGENT)

    conflict.still_holds(finding=finding(), parties=conflict.parties, envelope=DEA_AGENT)

    assert conflict.status == "owned"
    assert conflict.coordinator["sub"] == "cora"


def test_reopening_a_conflict_clears_its_escalation():
    conflict = detected()
    conflict.escalate(reason="Neither will move", envelope=COORDINATOR)
    conflict.no_longer_holds(reason="moved apart", envelope=DEA_AGENT)

    conflict.still_holds(finding=finding(), parties=conflict.parties, envelope=DEA_AGENT)

    assert conflict.escalation is None


def test_reopening_a_conflict_restarts_the_time_to_acknowledge_it():
    conflict = obsolete()
    first_detected = conflict.detected_at

    conflict.still_holds(finding=finding(), parties=conflict.parties, envelope=DEA_AGENT)

    reopened = only_event(conflict)
    assert conflict.detected_at == reopened.timestamp >= first_detected
    assert conflict.acknowledge_by == reopened.timestamp + timedelta(minutes=15)


def test_a_resolved_conflict_stays_resolved_when_the_pair_still_conflicts():
    conflict = resolved()

    outcome = conflict.still_holds(finding=finding("critical", 10), parties=conflict.parties, envelope=DEA_AGENT)

    assert outcome is None
    assert conflict.status == "resolved"
    assert (conflict.severity, conflict.distance_m) == ("high", 120)
    assert conflict.collect_events() == []


def test_a_conflict_found_again_unchanged_records_nothing():
    conflict = detected()

    assert conflict.still_holds(finding=finding(), parties=conflict.parties, envelope=DEA_AGENT) is None
    assert conflict.collect_events() == []


def test_a_conflict_found_again_nearer_and_worse_is_revised():
    conflict = detected()
    conflict.acknowledge(note=None, envelope=HSI_AGENT)
    conflict.collect_events()

    outcome = conflict.still_holds(finding=finding("critical", 40), parties=conflict.parties, envelope=DEA_AGENT)

    assert outcome == "revised"
    assert isinstance(only_event(conflict), Conflict.Revised)
    assert (conflict.severity, conflict.distance_m) == ("critical", 40)
    assert conflict.acknowledged_by == ["HSI"]


def test_a_conflict_whose_party_changed_its_point_of_contact_is_revised():
    conflict = detected()
    hsi, dea = conflict.parties
    new_parties = [{**hsi, "point_of_contact": {"name": "Night desk", "phone": "+1 202 555 0199"}}, dea]

    assert conflict.still_holds(finding=finding(), parties=new_parties, envelope=HSI_AGENT) == "revised"
    assert conflict.parties[0]["point_of_contact"]["name"] == "Night desk"


# --- replay ----------------------------------------------------------------------------------------------------


def test_a_conflict_replayed_from_its_events_is_where_its_lifecycle_left_it():
    conflict = Conflict.detect(id=uuid4(), finding=finding(), parties=[party("HSI"), party("DEA")],
                               envelope=DEA_AGENT)
    conflict.take(note=None, envelope=COORDINATOR)
    conflict.acknowledge(note=None, envelope=HSI_AGENT)
    conflict.no_longer_holds(reason="moved apart", envelope=DEA_AGENT)
    conflict.still_holds(finding=finding("critical"), parties=conflict.parties, envelope=DEA_AGENT)
    conflict.acknowledge(note=None, envelope=DEA_AGENT)

    again = replayed(conflict.collect_events())

    assert (again.status, again.severity, again.acknowledged_by, again.coordinator, again.detected_at) == (
        "owned", "critical", ["DEA"], conflict.coordinator, conflict.detected_at)
