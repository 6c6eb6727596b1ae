"""Planning an operation: its fields checked (`checked_plan`), then amended or withdrawn (the Operation aggregate)."""

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from domain.errors import DomainError, StateConflict
from domain.operation import Operation
from domain.operation_plan import LATE_AFTER, PLAN_FIELDS, checked_plan
from tests.domain.helpers import AGENT, PARTNER, envelope, refused

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
EMAIL_WITH_NEWLINE = ("bug: operation._EMAIL is used with .match, whose `$` also matches before a trailing newline "
                      "(the pitfall rules.py warns of), and the email is not trimmed: it is stored with the newline")


def fields(**overrides):
    """What a planner submits for a raid tomorrow morning."""
    given = {
        "kind": "raid",
        "title": "Stash house on 5th",
        "location": {"lat": 38.9, "lon": -77.0, "address": "1200 5th St NW"},
        "starts_at": TEN,
        "ends_at": NOON,
        "point_of_contact": {"name": "Dana Reyes", "phone": "+1 202 555 0100", "email": "Dana.Reyes@HSI.example"},
        "undercover": False,
        "armed_subjects": False,
    }
    return {**given, **overrides}


def field_refused(**overrides):
    """The field named by the refusal of a plan with these fields."""
    return refused(lambda: checked_plan(fields(**overrides), now=NOW)).field


def planned(**overrides):
    """A planned operation whose planning event has been collected."""
    op = Operation.plan_for(id=uuid4(), investigation_id=uuid4(), number="DX-2026-000042",
                            plan=checked_plan(fields(**overrides), now=NOW), envelope=AGENT)
    op.collect_events()
    return op


def amend(op, **changes):
    return op.amend(changes=changes, now=NOW, envelope=AGENT)


# --- checked_plan: the stored form ------------------------------------------------------------------------------


def test_a_checked_plan_keeps_every_field_of_the_plan_in_its_stored_form():
    plan = checked_plan(fields(), now=NOW)

    assert plan == {
        "kind": "raid",
        "title": "Stash house on 5th",
        "location": {"lat": 38.9, "lon": -77.0, "address": "1200 5th St NW"},
        "route": [],
        "starts_at": TEN,
        "ends_at": NOON,
        "point_of_contact": {"name": "Dana Reyes", "phone": "+1 202 555 0100", "email": "dana.reyes@hsi.example"},
        "undercover": False,
        "armed_subjects": False,
        "subject_ids": [],
    }
    assert list(plan) == list(PLAN_FIELDS)


def test_a_plan_without_an_end_runs_four_hours():
    assert checked_plan(fields(ends_at=None), now=NOW)["ends_at"] == TEN + timedelta(hours=4)


def test_times_given_in_another_zone_or_as_text_are_kept_in_utc():
    plan = checked_plan(fields(starts_at="2026-03-02T05:00:00-05:00",
                               ends_at=datetime(2026, 3, 2, 13, 0, tzinfo=timezone(timedelta(hours=1)))), now=NOW)

    assert (plan["starts_at"], plan["ends_at"]) == (TEN, NOON)
    assert plan["starts_at"].tzinfo is UTC


def test_whole_degree_coordinates_are_kept_as_numbers_of_degrees():
    plan = checked_plan(fields(location={"lat": 39, "lon": -77}), now=NOW)

    assert plan["location"] == {"lat": 39.0, "lon": -77.0, "address": None}


def test_a_route_is_kept_as_its_points():
    plan = checked_plan(fields(route=[{"lat": 38.91, "lon": -77.01}, {"lat": 38.92, "lon": -77.02}]), now=NOW)

    assert plan["route"] == [{"lat": 38.91, "lon": -77.01}, {"lat": 38.92, "lon": -77.02}]


def test_subject_ids_are_kept_in_their_canonical_form_once_each():
    subject = uuid4()

    plan = checked_plan(fields(subject_ids=[subject.hex.upper(), str(subject), subject]), now=NOW)

    assert plan["subject_ids"] == [str(subject)]


def test_a_window_of_exactly_fourteen_days_is_accepted():
    assert checked_plan(fields(ends_at=TEN + timedelta(days=14)), now=NOW)["ends_at"] == TEN + timedelta(days=14)


def test_a_plan_starting_a_few_minutes_ago_is_still_a_plan():
    starts = NOW - LATE_AFTER + timedelta(seconds=1)
    assert checked_plan(fields(starts_at=starts, ends_at=NOW + timedelta(hours=1)), now=NOW)["starts_at"] == starts


def test_a_late_entry_may_have_started_and_ended_already():
    plan = checked_plan(fields(starts_at=NOW - timedelta(hours=3), ends_at=NOW - timedelta(hours=1)), now=NOW,
                        late=True)
    assert plan["ends_at"] == NOW - timedelta(hours=1)


def test_a_plan_that_started_earlier_is_refused_naming_starts_at_unless_recorded_late():
    started = NOW - LATE_AFTER - timedelta(seconds=1)
    assert field_refused(starts_at=started, ends_at=NOW + timedelta(hours=1)) == "starts_at"


def test_a_late_entry_that_has_not_started_is_refused_naming_late_entry_reason():
    refusal = refused(lambda: checked_plan(fields(), now=NOW, late=True))
    assert refusal.field == "late_entry_reason"


# --- checked_plan: refusals naming the field -------------------------------------------------------------------


@pytest.mark.parametrize("overrides, field", [
    ({"location": {"lat": 91, "lon": -77.0}}, "location.lat"),
    ({"location": {"lat": -90.5, "lon": -77.0}}, "location.lat"),
    ({"location": {"lat": 38.9, "lon": 180.1}}, "location.lon"),
    ({"location": {"lat": float("nan"), "lon": -77.0}}, "location.lat"),
    ({"location": {"lat": True, "lon": -77.0}}, "location.lat"),
    ({"location": {"lat": "38.9", "lon": -77.0}}, "location.lat"),
    ({"location": {"lon": -77.0}}, "location.lat"),
    ({"location": None}, "location"),
], ids=["lat-91", "lat-minus-90.5", "lon-180.1", "lat-nan", "lat-bool", "lat-text", "lat-missing", "no-location"])
def test_a_location_off_the_globe_or_not_a_number_is_refused_naming_the_coordinate(overrides, field):
    assert field_refused(**overrides) == field


def test_an_end_equal_to_the_start_is_refused_naming_ends_at():
    assert field_refused(ends_at=TEN) == "ends_at"


def test_an_end_before_the_start_is_refused_naming_ends_at():
    assert field_refused(ends_at=TEN - timedelta(seconds=1)) == "ends_at"


def test_a_window_over_fourteen_days_is_refused_naming_ends_at():
    assert field_refused(ends_at=TEN + timedelta(days=14, seconds=1)) == "ends_at"


def test_a_plan_that_would_be_over_already_is_refused_naming_ends_at():
    assert field_refused(starts_at=NOW - timedelta(minutes=10), ends_at=NOW - timedelta(seconds=1)) == "ends_at"


@pytest.mark.parametrize("value", [datetime(2026, 3, 2, 10, 0), "2026-03-02T10:00:00", "tomorrow", None, 1772445600])
def test_a_start_that_is_not_a_time_with_a_zone_is_refused_naming_starts_at(value):
    assert field_refused(starts_at=value) == "starts_at"


@pytest.mark.parametrize("kind", ["picnic", "RAID", "", None])
def test_an_unknown_kind_is_refused_naming_kind(kind):
    assert field_refused(kind=kind) == "kind"


def test_a_subject_id_that_is_not_a_uuid_is_refused_naming_its_position():
    assert field_refused(subject_ids=["not-a-uuid"]) == "subject_ids.0"


def test_the_refusal_names_the_position_of_the_bad_subject_id_among_good_ones():
    assert field_refused(subject_ids=[str(uuid4()), "42"]) == "subject_ids.1"


def test_subject_ids_that_are_not_a_list_are_refused():
    assert field_refused(subject_ids=str(uuid4())) == "subject_ids"


@pytest.mark.parametrize("phone", ["call me", "555", "+1 202 555 0100 ask for Dana", ""])
def test_a_point_of_contact_phone_no_one_can_call_is_refused_naming_it(phone):
    assert field_refused(point_of_contact={"name": "Dana Reyes", "phone": phone}) == "point_of_contact.phone"


@pytest.mark.parametrize("phone", ["(((((((", "- - - -"])
def test_a_point_of_contact_phone_without_a_digit_is_refused(phone):
    assert field_refused(point_of_contact={"name": "Dana Reyes", "phone": phone}) == "point_of_contact.phone"


def test_a_phone_with_an_extension_is_accepted():
    plan = checked_plan(fields(point_of_contact={"name": "Dana Reyes", "phone": "202-555-0100 ext. 12"}), now=NOW)

    assert plan["point_of_contact"]["phone"] == "202-555-0100 ext. 12"


def test_a_point_of_contact_without_a_name_is_refused_naming_it():
    assert field_refused(point_of_contact={"phone": "+1 202 555 0100"}) == "point_of_contact.name"


def test_a_point_of_contact_email_that_is_not_an_address_is_refused_naming_it():
    poc = {"name": "Dana Reyes", "phone": "+1 202 555 0100", "email": "dana at hsi"}

    assert field_refused(point_of_contact=poc) == "point_of_contact.email"


def test_a_point_of_contact_email_with_a_trailing_newline_is_refused_naming_it():
    poc = {"name": "Dana Reyes", "phone": "+1 202 555 0100", "email": "dana@hsi.example\n"}

    assert field_refused(point_of_contact=poc) == "point_of_contact.email"


@pytest.mark.parametrize("flag", ["undercover", "armed_subjects"])
def test_a_safety_flag_left_out_is_refused_naming_it(flag):
    given = fields()
    del given[flag]

    assert refused(lambda: checked_plan(given, now=NOW)).field == flag


def test_a_route_point_off_the_globe_is_refused_naming_its_position():
    assert field_refused(route=[{"lat": 38.9, "lon": -77.0}, {"lat": 95, "lon": -77.0}]) == "route.1.lat"


def test_a_route_longer_than_300_km_is_refused_naming_route():
    # Three degrees of latitude are 333 km.
    assert field_refused(route=[{"lat": 38.0, "lon": -77.0}, {"lat": 41.0, "lon": -77.0}]) == "route"


def test_a_route_of_more_than_100_points_is_refused_naming_route():
    route = [{"lat": 38.9 + i / 100_000, "lon": -77.0} for i in range(101)]

    assert field_refused(route=route) == "route"


# --- the Operation aggregate -----------------------------------------------------------------------------------


def test_a_planned_operation_belongs_to_the_planners_agency():
    case = uuid4()

    op = Operation.plan_for(id=uuid4(), investigation_id=case, number="DX-2026-000042",
                            plan=checked_plan(fields(), now=NOW), envelope=PARTNER)

    assert (op.owning_agency, op.investigation_id, op.deconfliction_number, op.status) == (
        "DEA", case, "DX-2026-000042", "planned")
    assert isinstance(op.investigation_id, UUID)


def test_only_the_planners_agency_owns_an_operation():
    op = planned()

    assert (op.access_of("HSI"), op.access_of("DEA")) == ("owner", None)


def test_an_amendment_returns_the_names_of_the_fields_it_changed_in_plan_order():
    op = planned()

    changed = amend(op, location={"lat": 38.91, "lon": -77.0}, title="Stash house on 6th")

    assert changed == ["title", "location"]


def test_an_amendment_records_what_changed_and_the_whole_new_plan():
    op = planned()

    amend(op, ends_at=NOON + timedelta(hours=1))

    (event,) = op.collect_events()
    assert isinstance(event, Operation.Amended)
    assert event.changed == ["ends_at"]
    assert event.plan == {**checked_plan(fields(), now=NOW), "ends_at": NOON + timedelta(hours=1)}
    assert op.plan["ends_at"] == NOON + timedelta(hours=1)


def test_an_amendment_that_changes_nothing_records_nothing():
    op = planned()

    changed = amend(op, title="Stash house on 5th", undercover=False)

    assert changed == []
    assert op.collect_events() == []


def test_restating_the_start_in_another_time_zone_changes_nothing():
    op = planned()

    assert amend(op, starts_at="2026-03-02T05:00:00-05:00") == []
    assert op.collect_events() == []


def test_an_amendment_naming_a_field_not_of_the_plan_is_refused_naming_it():
    op = planned()

    error = refused(lambda: amend(op, deconfliction_number="DX-1", title="Other"))

    assert error.field == "deconfliction_number"
    assert op.collect_events() == []


def test_an_amendment_breaking_a_rule_is_refused_and_leaves_the_plan_as_it_was():
    op = planned()

    error = refused(lambda: amend(op, ends_at=TEN))

    assert error.field == "ends_at"
    assert op.plan["ends_at"] == NOON
    assert op.collect_events() == []


def test_an_operation_under_way_can_be_amended_without_restating_its_start():
    op = planned()
    during = TEN + timedelta(minutes=30)

    assert op.amend(changes={"armed_subjects": True}, now=during, envelope=AGENT) == ["armed_subjects"]


def test_a_withdrawn_operation_records_why():
    op = planned()

    op.withdraw(reason="  Target moved  ", envelope=AGENT)

    (event,) = op.collect_events()
    assert isinstance(event, Operation.Withdrawn)
    assert event.reason == "Target moved"
    assert op.status == "withdrawn"


def test_withdrawing_without_a_reason_is_refused_naming_reason():
    assert refused(lambda: planned().withdraw(reason=" ", envelope=AGENT)).field == "reason"


def test_a_withdrawn_operation_cannot_be_amended():
    op = planned()
    op.withdraw(reason="Target moved", envelope=AGENT)
    op.collect_events()

    refused(lambda: amend(op, title="Back on"), StateConflict)

    assert op.collect_events() == []


def test_a_withdrawn_operation_cannot_be_withdrawn_again():
    op = planned()
    op.withdraw(reason="Target moved", envelope=AGENT)

    refused(lambda: op.withdraw(reason="Still moved", envelope=envelope("bob")), StateConflict)


def test_a_refusal_of_an_amendment_is_a_domain_error_with_a_message():
    error = refused(lambda: amend(planned(), kind="picnic"))

    assert isinstance(error, DomainError)
    assert error.field == "kind"
    assert "raid" in error.message


def test_an_operation_replayed_from_its_events_has_the_amended_plan():
    op = Operation.plan_for(id=uuid4(), investigation_id=uuid4(), number="DX-2026-000042",
                            plan=checked_plan(fields(), now=NOW), envelope=AGENT)
    amend(op, title="Stash house on 6th")
    events = op.collect_events()

    replayed = events[0].mutate(None)
    for event in events[1:]:
        replayed = event.mutate(replayed)

    assert (replayed.plan, replayed.status, replayed.version) == (op.plan, "planned", 2)
