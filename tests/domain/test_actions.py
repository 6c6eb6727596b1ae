"""Logging investigative and enforcement actions on a case."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import StateConflict
from domain.investigation import Investigation
from domain.vocabulary import ACTION_KINDS
from tests.domain.helpers import NOW, PARTNER, SUPERVISOR, frozen_case, log, only_event, opened_case, refused


@pytest.mark.parametrize("kind", ACTION_KINDS)
def test_every_listed_action_kind_can_be_logged(kind):
    inv = opened_case()

    log(inv, kind=kind)

    event = only_event(inv)
    assert isinstance(event, Investigation.ActionLogged)
    assert event.kind == kind


def test_an_unknown_action_kind_is_refused():
    assert refused(lambda: log(opened_case(), kind="coffee_break")).field == "kind"


@pytest.mark.parametrize("summary", ["", "  \t "])
def test_an_action_without_a_summary_is_refused(summary):
    assert refused(lambda: log(opened_case(), summary=summary)).field == "summary"


def test_the_summary_of_an_action_is_trimmed():
    inv = opened_case()

    log(inv, summary="  Surveilled the warehouse  ")

    assert only_event(inv).summary == "Surveilled the warehouse"


def test_an_action_without_a_time_happened_now():
    inv = opened_case()

    log(inv, occurred_at=None)

    assert only_event(inv).occurred_at == NOW


def test_an_action_in_the_past_keeps_its_time():
    inv = opened_case()
    last_week = NOW - timedelta(days=7)

    log(inv, occurred_at=last_week)

    assert only_event(inv).occurred_at == last_week


def test_an_action_up_to_five_minutes_in_the_future_is_accepted():
    inv = opened_case()

    log(inv, occurred_at=NOW + timedelta(minutes=5))

    assert only_event(inv).occurred_at == NOW + timedelta(minutes=5)


def test_an_action_more_than_five_minutes_in_the_future_is_refused():
    inv = opened_case()

    error = refused(lambda: log(inv, occurred_at=NOW + timedelta(minutes=5, seconds=1)))

    assert error.field == "occurred_at"
    assert inv.collect_events() == []


def test_an_action_time_without_a_time_zone_is_refused():
    naive = datetime(2026, 2, 28, 9, 30)

    assert refused(lambda: log(opened_case(), occurred_at=naive)).field == "occurred_at"


def test_an_action_records_its_coordinates_and_place():
    inv = opened_case()

    log(inv, location={"lat": 27.5, "lon": -99.5, "place": " Laredo, TX "})

    assert only_event(inv).location == {"lat": 27.5, "lon": -99.5, "place": "Laredo, TX"}


def test_an_action_may_name_a_place_without_coordinates():
    inv = opened_case()

    log(inv, location={"place": "World Trade Bridge"})

    assert only_event(inv).location == {"lat": None, "lon": None, "place": "World Trade Bridge"}


def test_an_action_without_a_location_records_none():
    inv = opened_case()

    log(inv, location=None)

    assert only_event(inv).location is None


@pytest.mark.parametrize(
    ("location", "field"),
    [
        ({"lat": 90.1, "lon": 0}, "location.lat"),
        ({"lat": -90.1, "lon": 0}, "location.lat"),
        ({"lat": 0, "lon": 180.1}, "location.lon"),
        ({"lat": 0, "lon": -180.1}, "location.lon"),
    ],
)
def test_coordinates_out_of_range_are_refused(location, field):
    assert refused(lambda: log(opened_case(), location=location)).field == field


def test_a_latitude_without_a_longitude_is_refused():
    assert refused(lambda: log(opened_case(), location={"lat": 27.5})).field == "location.lon"


def test_a_longitude_without_a_latitude_is_refused():
    assert refused(lambda: log(opened_case(), location={"lon": -99.5})).field == "location.lat"


def test_a_location_with_neither_coordinates_nor_place_is_refused():
    assert refused(lambda: log(opened_case(), location={"place": "  "})).field == "location"


def test_the_action_records_who_logged_it_as_its_entry():
    inv = opened_case()

    log(inv, by=PARTNER)

    event = only_event(inv)
    assert Investigation.entry_of(event) == {"version": 2, "kind": "action", "author": "dana", "agency": "DEA",
                                             "subject_id": None}


@pytest.mark.parametrize("status", ["closed", "merged"])
def test_no_action_can_be_logged_on_a_closed_or_merged_case(status):
    inv = frozen_case(status)

    refused(lambda: log(inv), StateConflict)
    assert inv.collect_events() == []


def test_actions_can_be_logged_again_once_a_closed_case_is_reopened():
    inv = opened_case()
    inv.change_status(status="closed", reason="done", merged_into=None, envelope=SUPERVISOR)
    inv.change_status(status="reopened", reason="new lead", merged_into=None, envelope=SUPERVISOR)
    inv.collect_events()

    log(inv)

    assert isinstance(only_event(inv), Investigation.ActionLogged)


def test_the_case_state_does_not_grow_with_the_actions_logged():
    few, many = opened_case(), opened_case()
    log(few)
    for _ in range(50):
        log(many)
    few.collect_events(), many.collect_events()
    assert len(repr(vars(many))) - len(repr(vars(few))) < 20  # version digits and the chain head only


def test_an_action_time_given_with_an_offset_is_kept_in_utc():
    inv = opened_case()
    log(inv, occurred_at=datetime(2026, 3, 1, 13, 30, tzinfo=timezone(timedelta(hours=2))))
    assert only_event(inv).occurred_at == datetime(2026, 3, 1, 11, 30, tzinfo=UTC)
