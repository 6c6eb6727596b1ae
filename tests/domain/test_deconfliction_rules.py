"""Event deconfliction rules E1 (place), E2 (time), G1 (self), G3 (severity) and the index that finds pairs."""

import math
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import h3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.deconfliction import (
    CELL_RESOLUTION,
    FIXED_SITE_BUFFER_M,
    FIXED_SITE_KINDS,
    MAX_BUFFER_M,
    MOBILE_BUFFER_M,
    OPERATION_KINDS,
    PADDING,
    KindRule,
    Rules,
    default_rule,
    footprint,
    index_keys,
    kept_keys,
    overlap,
    proximity,
)
from domain.geo import EARTH_RADIUS_M, distance_m, path_distance_m
from domain.operation_plan import checked_plan

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HERE = (38.9, -77.0)  # Washington, DC
METRES_PER_DEGREE = 111_195  # of latitude, on h3's sphere


def north_of(point, metres):
    return (point[0] + metres / METRES_PER_DEGREE, point[1])


def east_of(point, metres):
    return (point[0], point[1] + metres / (METRES_PER_DEGREE * math.cos(math.radians(point[0]))))


def entry(kind="raid", at=HERE, *, starts_at=TEN, ends_at=NOON, route=None, investigation_id=None, agency="HSI",
          undercover=False, armed_subjects=False, rules=None):
    """An operation as the index keeps it, its plan checked as a submission's would be (ends_at None: not given)."""
    plan = checked_plan({
        "kind": kind,
        "location": {"lat": at[0], "lon": at[1]},
        "route": [{"lat": lat, "lon": lon} for lat, lon in route] if route else None,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "point_of_contact": {"name": "Dana Reyes", "phone": "+1 202 555 0100"},
        "undercover": undercover,
        "armed_subjects": armed_subjects,
    }, now=NOW, fresh=set())  # fresh: no field is checked against the clock, which these rules are not about
    return footprint(operation_id=str(uuid4()), investigation_id=investigation_id or str(uuid4()), agency=agency,
                     number="DX-2026-000001", plan=plan, rule=(rules or Rules()).of(kind))


def shared_keys(a, b):
    """Whether each one's check reads a record that keeps the other's entry, and both checks write a record in
    common (so that two racing checks collide on it)."""
    reads_a, reads_b = set(index_keys(a)), set(index_keys(b))
    return bool(reads_a & reads_b and set(kept_keys(b)) & reads_a and set(kept_keys(a)) & reads_b)


# --- E1: place -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", OPERATION_KINDS)
def test_fixed_site_kinds_have_a_300_m_buffer_and_all_others_1600_m(kind):
    expected = FIXED_SITE_BUFFER_M if kind in FIXED_SITE_KINDS else MOBILE_BUFFER_M

    assert default_rule(kind) == KindRule(expected, timedelta(minutes=60))


def test_warrants_and_raids_are_the_fixed_site_kinds():
    assert FIXED_SITE_KINDS == {"search_warrant", "arrest_warrant", "raid"}
    assert (FIXED_SITE_BUFFER_M, MOBILE_BUFFER_M) == (300, 1600)


def test_a_deployment_may_override_the_buffer_of_one_kind_only():
    rules = Rules({"raid": KindRule(1000, PADDING)})

    assert rules.of("raid").buffer_m == 1000
    assert rules.of("search_warrant").buffer_m == 300
    assert rules.of("surveillance").buffer_m == 1600


def test_two_raids_just_inside_600_m_apart_conflict():
    there = north_of(HERE, 599)
    assert distance_m(HERE, there) == pytest.approx(599, abs=0.01)

    finding = proximity(entry("raid", HERE), entry("raid", there))

    assert finding is not None
    assert (finding.kind, finding.distance_m) == ("event_proximity", 599)


def test_two_raids_just_outside_600_m_apart_do_not_conflict():
    there = north_of(HERE, 601)
    assert distance_m(HERE, there) == pytest.approx(601, abs=0.01)

    assert proximity(entry("raid", HERE), entry("raid", there)) is None


def test_a_surveillance_and_a_raid_1890_m_apart_conflict():
    finding = proximity(entry("surveillance", HERE), entry("raid", north_of(HERE, 1890)))

    assert finding is not None
    assert finding.distance_m == 1890


def test_a_surveillance_and_a_raid_1910_m_apart_do_not_conflict():
    assert proximity(entry("surveillance", HERE), entry("raid", north_of(HERE, 1910))) is None


def test_an_overridden_buffer_is_the_one_the_rule_uses():
    rules = Rules({"raid": KindRule(1000, PADDING)})
    there = north_of(HERE, 1200)

    assert proximity(entry("raid", HERE), entry("raid", there)) is None
    assert proximity(entry("raid", HERE, rules=rules), entry("raid", there)) is not None


def test_two_operations_near_in_time_but_far_apart_do_not_conflict():
    assert proximity(entry("surveillance", HERE), entry("surveillance", north_of(HERE, 5000))) is None


def test_a_route_passing_near_a_raid_conflicts_although_its_starting_point_is_far():
    raid = entry("raid", HERE)
    start = north_of(HERE, -20_000)
    route = [east_of(HERE, 200), east_of(north_of(HERE, 20_000), 200)]
    assert distance_m(start, HERE) == pytest.approx(20_000, abs=1)

    finding = proximity(entry("interdiction", start, route=route), raid)

    assert finding is not None
    assert finding.distance_m == 200


def test_the_same_operation_without_its_route_does_not_conflict():
    assert proximity(entry("interdiction", north_of(HERE, -20_000)), entry("raid", HERE)) is None


def test_two_routes_along_the_greenwich_meridian_16_km_apart_do_not_conflict():
    north = entry("interdiction", (51.60, 0.0), route=[(51.65, 0.0)])
    south = entry("interdiction", (51.40, 0.0), route=[(51.45, 0.0)])

    assert proximity(north, south) is None


# --- E2: time --------------------------------------------------------------------------------------------------


def test_windows_that_overlap_only_once_padded_conflict():
    # 10:00-12:00 and 13:30-15:00: apart by 90 minutes, together by 30 once each is padded by 60.
    later = entry(starts_at=NOON + timedelta(minutes=90), ends_at=NOON + timedelta(hours=3))

    finding = proximity(entry(), later)

    assert finding is not None
    assert finding.overlap == {"starts_at": NOON + timedelta(minutes=30), "ends_at": NOON + timedelta(minutes=60)}


def test_windows_whose_padded_ends_exactly_touch_conflict():
    # 10:00-12:00 padded ends at 13:00; 14:00-16:00 padded starts at 13:00: the teams meet on the street.
    later = entry(starts_at=NOON + timedelta(hours=2), ends_at=NOON + timedelta(hours=4))

    finding = proximity(entry(), later)

    assert finding is not None
    assert finding.overlap == {"starts_at": NOON + timedelta(hours=1), "ends_at": NOON + timedelta(hours=1)}


def test_windows_one_second_further_apart_than_touching_do_not_conflict():
    later = entry(starts_at=NOON + timedelta(hours=2, seconds=1), ends_at=NOON + timedelta(hours=4))

    assert proximity(entry(), later) is None


def test_a_missing_end_is_four_hours_after_the_start():
    assert entry(ends_at=None)["ends_at"] == TEN + timedelta(hours=4)


def test_an_operation_without_an_end_conflicts_with_one_starting_when_its_fourth_hour_is_padded():
    # 10:00 without an end runs to 14:00, padded to 15:00; 16:00 padded starts at 15:00.
    later = entry(starts_at=TEN + timedelta(hours=6), ends_at=TEN + timedelta(hours=8))

    assert proximity(entry(ends_at=None), later) is not None


def test_an_operation_without_an_end_does_not_conflict_with_one_starting_a_second_later():
    later = entry(starts_at=TEN + timedelta(hours=6, seconds=1), ends_at=TEN + timedelta(hours=8))

    assert proximity(entry(ends_at=None), later) is None


def test_the_overlap_is_the_same_whichever_operation_is_checked():
    a, b = entry(), entry(starts_at=TEN + timedelta(hours=1), ends_at=TEN + timedelta(hours=5))

    assert overlap(a, b) == overlap(b, a) == {"starts_at": TEN, "ends_at": NOON + timedelta(hours=1)}


def test_two_operations_at_one_place_on_different_days_do_not_conflict():
    tomorrow = entry(starts_at=TEN + timedelta(days=1), ends_at=NOON + timedelta(days=1))

    assert proximity(entry(), tomorrow) is None


# --- G1: self --------------------------------------------------------------------------------------------------


def test_two_operations_of_the_same_investigation_never_conflict():
    case = str(uuid4())

    assert proximity(entry(investigation_id=case, undercover=True), entry(investigation_id=case)) is None


def test_two_operations_of_one_agency_in_different_investigations_conflict():
    finding = proximity(entry(agency="HSI"), entry(agency="HSI"))

    assert finding is not None
    assert finding.severity == "high"


# --- G3: severity ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mine, other", [
    ({"undercover": True}, {}),
    ({}, {"undercover": True}),
    ({"armed_subjects": True}, {}),
    ({}, {"armed_subjects": True}),
], ids=["my-undercover", "their-undercover", "my-armed-subjects", "their-armed-subjects"])
def test_a_conflict_with_an_undercover_officer_or_armed_subjects_on_either_side_is_critical(mine, other):
    assert proximity(entry(**mine), entry(**other)).severity == "critical"


def test_a_conflict_without_undercover_officers_or_armed_subjects_is_high():
    assert proximity(entry(), entry()).severity == "high"


def test_a_finding_says_which_rule_how_badly_how_near_and_when():
    finding = proximity(entry(), entry("raid", north_of(HERE, 100)))

    assert finding.as_dict() == {"kind": "event_proximity", "severity": "high", "distance_m": 100,
                                 "overlap": {"starts_at": TEN - PADDING, "ends_at": NOON + PADDING}}


# --- where plans are indexed -----------------------------------------------------------------------------------


def test_a_single_place_is_indexed_under_its_cell_and_the_ring_around_it_for_one_day():
    keys = index_keys(entry())

    cell = h3.latlng_to_cell(*HERE, CELL_RESOLUTION)
    assert keys == sorted((c, "2026-03-02") for c in h3.grid_disk(cell, 1))
    assert len(keys) == 7


def test_a_single_place_is_kept_under_its_own_cell_only():
    assert kept_keys(entry()) == [(h3.latlng_to_cell(*HERE, CELL_RESOLUTION), "2026-03-02")]


def test_a_route_is_kept_under_every_cell_it_passes_through_and_each_is_among_its_index_keys():
    convoy = entry("interdiction", route=[north_of(HERE, 30_000), east_of(north_of(HERE, 30_000), 30_000)])
    kept = kept_keys(convoy)

    assert len(kept) > 2
    assert set(kept) <= set(index_keys(convoy))


def test_the_kept_keys_are_fewer_than_the_index_keys_of_the_ring():
    assert (len(kept_keys(entry())), len(index_keys(entry()))) == (1, 7)


def test_an_operation_is_indexed_for_every_utc_day_its_padded_window_touches():
    late = entry(starts_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC), ends_at=datetime(2026, 3, 3, 0, 30, tzinfo=UTC))

    assert {day for _, day in index_keys(late)} == {"2026-03-02", "2026-03-03"}


def test_padding_before_an_early_start_indexes_the_day_before():
    early = entry(starts_at=datetime(2026, 3, 2, 0, 30, tzinfo=UTC), ends_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))

    assert {day for _, day in index_keys(early)} == {"2026-03-01", "2026-03-02"}


def test_the_days_are_those_of_utc_whatever_zone_the_plan_was_given_in():
    # 20:00-21:00 in New York (UTC-5) is 01:00-02:00 UTC the next day.
    new_york = timezone(timedelta(hours=-5))
    evening = entry(starts_at=datetime(2026, 3, 2, 20, 0, tzinfo=new_york),
                    ends_at=datetime(2026, 3, 2, 21, 0, tzinfo=new_york))

    assert {day for _, day in index_keys(evening)} == {"2026-03-03"}


def test_the_index_keys_come_in_a_stable_sorted_order_without_repeats():
    keys = index_keys(entry("interdiction", route=[north_of(HERE, 30_000), east_of(HERE, 30_000)]))

    assert keys == sorted(set(keys))


def test_a_long_route_segment_is_indexed_along_its_length_not_only_at_its_ends():
    # One 100 km segment whose middle passes 200 m from a raid that is 50 km from both ends.
    start, end = north_of(HERE, -50_000), north_of(HERE, 50_000)
    convoy = entry("interdiction", east_of(start, 200), route=[east_of(end, 200)])
    raid = entry("raid", HERE)

    assert proximity(convoy, raid) is not None
    assert shared_keys(convoy, raid)


@pytest.mark.parametrize("here, there", [
    ((10.0, 179.999), (10.0, -179.999)),
    ((-16.5, 180.0), (-16.5, -179.998)),
], ids=["lon-179.999-vs-minus-179.999", "lon-180-vs-minus-179.998"])
def test_two_raids_either_side_of_the_antimeridian_conflict(here, there):
    finding = proximity(entry("raid", here), entry("raid", there))

    assert finding is not None
    assert finding.distance_m < 600


@pytest.mark.parametrize("here, there", [
    ((10.0, 179.999), (10.0, -179.999)),
    ((-16.5, 180.0), (-16.5, -179.998)),
], ids=["lon-179.999-vs-minus-179.999", "lon-180-vs-minus-179.998"])
def test_two_raids_either_side_of_the_antimeridian_share_an_index_record(here, there):
    assert shared_keys(entry("raid", here), entry("raid", there))


POLAR_PAIRS = [
    ((89.995, 0.0), (89.995, 180.0)),  # 1,112 m apart across the north pole
    ((89.999, 45.0), (89.998, -135.0)),  # 334 m
    ((-89.995, 90.0), (-89.996, -90.0)),  # 1,001 m across the south pole
]


@pytest.mark.parametrize("here, there", POLAR_PAIRS, ids=["north-1112m", "north-334m", "south-1001m"])
def test_a_surveillance_and_a_raid_either_side_of_a_pole_conflict(here, there):
    finding = proximity(entry("surveillance", here), entry("raid", there))

    assert finding is not None
    assert finding.distance_m == round(distance_m(here, there))


@pytest.mark.parametrize("here, there", POLAR_PAIRS, ids=["north-1112m", "north-334m", "south-1001m"])
def test_a_surveillance_and_a_raid_either_side_of_a_pole_share_an_index_record(here, there):
    assert shared_keys(entry("surveillance", here), entry("raid", there))


@pytest.mark.parametrize("pentagon", sorted(h3.get_pentagons(CELL_RESOLUTION)))
def test_operations_5_km_apart_beside_a_pentagon_share_an_index_record(pentagon):
    # The twelve pentagons are where the grid is least regular.
    centre = h3.cell_to_latlng(pentagon)
    for bearing in range(0, 360, 30):
        assert shared_keys(entry("surveillance", centre), entry("surveillance", destination(centre, bearing, 5000)))


def destination(start, bearing_deg, metres):
    """The point `metres` from `start` along the great circle leaving it at `bearing_deg` (from north)."""
    lat1, lon1, bearing, angle = (math.radians(start[0]), math.radians(start[1]), math.radians(bearing_deg),
                                  metres / EARTH_RADIUS_M)
    lat2 = math.asin(math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing))
    lon2 = lon1 + math.atan2(math.sin(bearing) * math.sin(angle) * math.cos(lat1),
                             math.cos(angle) - math.sin(lat1) * math.sin(lat2))
    lon = (math.degrees(lon2) + 180) % 360 - 180
    return (max(-90.0, min(90.0, math.degrees(lat2))), lon)


def test_the_destination_helper_lands_the_distance_asked_for():
    # The property below is only as good as the points it places.
    for start in [(0.0, 179.9), (89.99, 10.0), (-45.0, -60.0)]:
        assert distance_m(start, destination(start, 37.0, 4321)) == pytest.approx(4321, abs=0.01)


BASE = datetime(2026, 3, 2, tzinfo=UTC)


@settings(max_examples=400, deadline=None)
@given(
    lat=st.floats(-90, 90, allow_nan=False),
    lon=st.floats(-180, 180, allow_nan=False),
    bearing=st.floats(0, 360, allow_nan=False),
    metres=st.floats(0, 2 * MAX_BUFFER_M, allow_nan=False),
    start_minutes=st.integers(0, 60 * 24 * 365),
    a_minutes=st.integers(1, 60 * 24 * 14),
    b_minutes=st.integers(1, 60 * 24 * 14),
    b_offset=st.floats(0, 1, allow_nan=False),
)
def test_two_operations_whose_buffers_and_windows_can_touch_always_share_an_index_record(
    lat, lon, bearing, metres, start_minutes, a_minutes, b_minutes, b_offset
):
    here = (lat, lon)
    there = destination(here, bearing, metres)
    a_start = BASE + timedelta(minutes=start_minutes)
    a_end = a_start + timedelta(minutes=a_minutes)
    # b starts anywhere from where its padded end touches a's padded start to where its padded start touches a's
    # padded end.
    earliest = a_start - 2 * PADDING - timedelta(minutes=b_minutes)
    b_start = earliest + (a_end + 2 * PADDING - earliest) * b_offset
    a = entry("surveillance", here, starts_at=a_start, ends_at=a_end)
    b = entry("surveillance", there, starts_at=b_start, ends_at=b_start + timedelta(minutes=b_minutes))
    assert path_distance_m(a["path"], b["path"]) <= 2 * MAX_BUFFER_M + 0.01
    assert overlap(a, b) is not None

    assert shared_keys(a, b)
