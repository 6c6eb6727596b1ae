"""Distances on the Earth between the places and routes of operations, exact enough for buffers of metres.

Points are (lat, lon) in degrees. Distances are great-circle (h3's haversine), so they hold across the
antimeridian and near the poles, where flat-map arithmetic on degrees would not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import h3

Point = tuple[float, float]
EARTH_RADIUS_M = 6_371_007.2  # h3's authalic radius, so that our distances agree with its own
_COLLINEAR = 1e-12  # |side| below this (~6 µm off the other arc's great circle): both ends lie on it


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance between two points, in metres."""
    return float(h3.great_circle_distance(a, b, unit="m"))


def _vector(p: Point) -> tuple[float, float, float]:
    lat, lon = math.radians(p[0]), math.radians(p[1])
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def _cross(u: tuple[float, float, float], v: tuple[float, float, float]) -> tuple[float, float, float]:
    return (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])


def _dot(u: tuple[float, float, float], v: tuple[float, float, float]) -> float:
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


def _norm(u: tuple[float, float, float]) -> float:
    return math.sqrt(_dot(u, u))


def point_to_segment_m(p: Point, a: Point, b: Point) -> float:
    """Distance from p to the great-circle arc from a to b (its nearest point, or the nearer end)."""
    if a == b:
        return distance_m(p, a)
    va, vb, vp = _vector(a), _vector(b), _vector(p)
    normal = _cross(va, vb)
    length = _norm(normal)
    if length < 1e-15:  # a and b coincide (or are antipodal, which no route segment is)
        return min(distance_m(p, a), distance_m(p, b))
    n = (normal[0] / length, normal[1] / length, normal[2] / length)
    # The foot of p on the arc's great circle lies between a and b iff it is on a's side of b and b's of a.
    within = _dot(_cross(va, vp), n) >= 0 and _dot(_cross(vp, vb), n) >= 0
    if within:
        return abs(math.asin(max(-1.0, min(1.0, _dot(vp, n))))) * EARTH_RADIUS_M
    return min(distance_m(p, a), distance_m(p, b))


def _segments(path: Sequence[Point]) -> list[tuple[Point, Point]]:
    return [(path[0], path[0])] if len(path) == 1 else list(pairwise(path))


def _arcs_cross(s: tuple[Point, Point], t: tuple[Point, Point]) -> bool:
    """Whether two short great-circle arcs intersect (each one's ends lie on opposite sides of the other)."""
    (a, b), (c, d) = s, t
    if a == b or c == d:
        return False
    va, vb, vc, vd = _vector(a), _vector(b), _vector(c), _vector(d)
    n1, n2 = _cross(va, vb), _cross(vc, vd)
    c_side, d_side = _dot(n1, vc), _dot(n1, vd)
    if abs(c_side) < _COLLINEAR and abs(d_side) < _COLLINEAR:
        return False  # on one great circle: whether they overlap is for the distances of their ends to say
    return c_side * d_side <= 0 and _dot(n2, va) * _dot(n2, vb) <= 0 and _dot(va, vc) > 0


def path_distance_m(first: Sequence[Point], second: Sequence[Point]) -> float:
    """Least distance between two paths (a single point is a path of one): 0 where they cross."""
    best = math.inf
    for s in _segments(first):
        for t in _segments(second):
            if _arcs_cross(s, t):
                return 0.0
            best = min(best, point_to_segment_m(s[0], *t), point_to_segment_m(s[1], *t),
                       point_to_segment_m(t[0], *s), point_to_segment_m(t[1], *s))
    return best


def path_length_m(path: Sequence[Point]) -> float:
    """Length of a path along its great-circle arcs."""
    return sum(distance_m(a, b) for a, b in pairwise(path))


def densified(path: Sequence[Point], spacing_m: float) -> list[Point]:
    """The path's points with more along each arc, so that no two neighbours are more than `spacing_m` apart."""
    points: list[Point] = [path[0]]
    for a, b in pairwise(path):
        steps = max(1, math.ceil(distance_m(a, b) / spacing_m))
        points.extend(_between(a, b, i / steps) for i in range(1, steps + 1))
    return points


def _between(a: Point, b: Point, fraction: float) -> Point:
    """The point `fraction` of the way along the great-circle arc from a to b (spherical interpolation)."""
    va, vb = _vector(a), _vector(b)
    angle = math.acos(max(-1.0, min(1.0, _dot(va, vb))))
    if angle < 1e-12:
        return b
    wa, wb = math.sin((1 - fraction) * angle) / math.sin(angle), math.sin(fraction * angle) / math.sin(angle)
    x, y, z = (wa * va[i] + wb * vb[i] for i in range(3))
    return (math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x)))
