"""Distances between the places and routes of operations (domain/geo.py)."""

from itertools import pairwise

import pytest

from domain.geo import EARTH_RADIUS_M, densified, distance_m, path_distance_m, path_length_m, point_to_segment_m

METRES_PER_DEGREE = 111_195  # of latitude, on h3's sphere


def north_of(point, metres):
    return (point[0] + metres / METRES_PER_DEGREE, point[1])


# --- distance_m ------------------------------------------------------------------------------------------------


def test_one_degree_of_latitude_is_one_degree_of_the_great_circle():
    assert distance_m((10.0, 20.0), (11.0, 20.0)) == pytest.approx(EARTH_RADIUS_M * 3.141592653589793 / 180)


def test_the_distance_across_the_antimeridian_is_the_short_way_round():
    assert distance_m((0.0, 179.999), (0.0, -179.999)) == pytest.approx(222.4, abs=0.1)


def test_two_points_either_side_of_the_pole_are_close():
    assert distance_m((89.999, 0.0), (89.999, 180.0)) == pytest.approx(222.4, abs=0.1)


# --- point_to_segment_m ----------------------------------------------------------------------------------------


def test_a_point_beside_a_segment_is_as_far_as_its_foot_on_the_segment():
    # The segment runs along the equator; the point is 1,000 m north of its middle.
    assert point_to_segment_m(north_of((0.0, 0.5), 1000), (0.0, 0.0), (0.0, 1.0)) == pytest.approx(1000, abs=0.5)


def test_a_point_beyond_the_end_of_a_segment_is_as_far_as_the_nearer_end():
    p = (0.0, 1.01)

    assert point_to_segment_m(p, (0.0, 0.0), (0.0, 1.0)) == pytest.approx(distance_m(p, (0.0, 1.0)))


def test_a_point_before_the_start_of_a_segment_is_as_far_as_the_start():
    p = north_of((0.0, -0.02), 300)

    assert point_to_segment_m(p, (0.0, 0.0), (0.0, 1.0)) == pytest.approx(distance_m(p, (0.0, 0.0)))


def test_a_point_on_a_segment_is_at_no_distance_from_it():
    assert point_to_segment_m((0.0, 0.25), (0.0, 0.0), (0.0, 1.0)) == pytest.approx(0, abs=0.01)


def test_a_segment_of_one_point_is_as_far_as_that_point():
    p, a = (38.9, -77.0), (38.91, -77.01)

    assert point_to_segment_m(p, a, a) == distance_m(p, a)


def test_a_segment_across_the_antimeridian_passes_near_a_point_on_it():
    # The arc runs the short way (22 km) across lon 180, not round the globe the long way.
    p = north_of((0.0, 180.0), 500)

    assert point_to_segment_m(p, (0.0, 179.9), (0.0, -179.9)) == pytest.approx(500, abs=0.5)


# --- path_distance_m -------------------------------------------------------------------------------------------


def test_two_crossing_routes_are_at_no_distance():
    west_to_east = [(38.90, -77.05), (38.90, -76.95)]
    south_to_north = [(38.85, -77.00), (38.95, -77.00)]

    assert path_distance_m(west_to_east, south_to_north) == 0.0


def test_a_route_crossing_another_between_their_points_is_at_no_distance_although_every_point_is_far():
    # The crossing is in the middle of both segments, 5 km from every one of their points.
    diagonal = [(38.85, -77.05), (38.95, -76.95)]
    other_diagonal = [(38.85, -76.95), (38.95, -77.05)]

    assert min(distance_m(p, q) for p in diagonal for q in other_diagonal) > 5000
    assert path_distance_m(diagonal, other_diagonal) == 0.0


def test_the_distance_between_two_single_points_is_their_great_circle_distance():
    a, b = (38.9, -77.0), (38.95, -77.02)

    assert path_distance_m([a], [b]) == pytest.approx(distance_m(a, b))


def test_a_point_is_as_far_from_a_route_as_from_the_nearest_part_of_it():
    route = [(0.0, 0.0), (0.0, 0.5), (0.0, 1.0)]
    point = north_of((0.0, 0.75), 200)

    assert path_distance_m([point], route) == pytest.approx(200, abs=0.5)


def test_two_parallel_routes_are_as_far_apart_as_the_gap_between_them():
    route = [(0.0, 0.0), (0.0, 0.1)]
    parallel = [north_of(p, 500) for p in route]

    assert path_distance_m(route, parallel) == pytest.approx(500, abs=0.5)


def test_the_distance_between_two_paths_does_not_depend_on_which_comes_first():
    route = [(51.50, -0.15), (51.52, -0.10), (51.55, -0.12)]
    other = [(51.53, -0.05), (51.56, -0.02)]

    assert path_distance_m(route, other) == pytest.approx(path_distance_m(other, route))


@pytest.mark.parametrize("route, other", [
    ([(0.0, 10.0), (0.0, 10.1)], [(0.0, 10.5), (0.0, 10.6)]),  # along the equator, 44 km apart
    ([(51.40, 0.0), (51.45, 0.0)], [(51.60, 0.0), (51.65, 0.0)]),  # along the Greenwich meridian, 16.7 km apart
], ids=["equator", "prime-meridian"])
def test_two_routes_along_one_great_circle_that_never_meet_are_as_far_apart_as_their_nearest_ends(route, other):
    assert path_distance_m(route, other) == pytest.approx(distance_m(route[-1], other[0]))


# --- path_length_m and densified -------------------------------------------------------------------------------


def test_the_length_of_a_path_is_the_sum_of_its_arcs():
    path = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)]

    assert path_length_m(path) == pytest.approx(distance_m(path[0], path[1]) + distance_m(path[1], path[2]))


def test_a_single_point_has_no_length():
    assert path_length_m([(38.9, -77.0)]) == 0


def test_densifying_keeps_no_two_neighbours_further_apart_than_the_spacing():
    path = [(38.0, -77.0), (38.3, -76.6), (38.31, -76.6)]

    points = densified(path, 1000)

    assert max(distance_m(a, b) for a, b in pairwise(points)) <= 1000


def test_densifying_starts_and_ends_where_the_path_does():
    path = [(38.0, -77.0), (38.3, -76.6)]

    points = densified(path, 1000)

    assert points[0] == path[0]
    assert points[-1] == pytest.approx(path[-1])


def test_densifying_adds_as_few_points_as_the_spacing_needs():
    # 11,119.5 m along a meridian at 1,000 m spacing: 12 arcs, so 13 points.
    points = densified([(10.0, 20.0), (10.1, 20.0)], 1000)

    assert len(points) == 13


def test_densifying_a_segment_shorter_than_the_spacing_keeps_only_its_ends():
    path = [(38.9, -77.0), (38.9001, -77.0)]

    points = densified(path, 1000)

    assert len(points) == 2
    assert points[0] == path[0]
    assert points[1] == pytest.approx(path[1])


def test_densified_points_lie_on_the_path():
    path = [(38.0, -77.0), (38.3, -76.6)]

    assert max(point_to_segment_m(p, *path) for p in densified(path, 1000)) < 0.01


def test_densifying_a_path_across_the_antimeridian_stays_near_it():
    points = densified([(0.0, 179.5), (0.0, -179.5)], 1000)

    assert len(points) > 100
    assert all(abs(lon) >= 179.5 - 1e-9 for _, lon in points)


def test_a_single_point_is_its_own_densified_path():
    assert densified([(38.9, -77.0)], 1000) == [(38.9, -77.0)]
