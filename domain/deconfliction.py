"""Event deconfliction rules (DOMAIN.md §2): buffers, padded windows, severities, and where a plan is indexed.

An operation's entry is kept under the h3 cells (resolution 5) its path passes through (every point of it,
densified to CELL_SPACING_M), for every UTC day its padded window touches: its kept keys. A check reads, and
writes, the records of the cells within one ring of those points: its index keys. Two operations whose
buffers can touch are at most 2 x MAX_BUFFER_M + CELL_SPACING_M apart at their nearest indexed points (6 km),
which is less than the shortest edge of a resolution-5 cell (6.9 km, measured over the globe and its
pentagons): so each one's cell there lies in the other's ring. Each check therefore reads the record that keeps
the other's entry, and both write the records of their rings, which share that one: the store's optimistic
concurrency on it is what makes two simultaneous plans find each other. Keeping an entry only where its path
runs (not under the whole ring) means a check decodes each neighbour's entry about once, not once per cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import h3

from domain.geo import Point, densified, path_distance_m

OPERATION_KINDS = (
    "search_warrant",
    "arrest_warrant",
    "buy_bust",
    "controlled_delivery",
    "controlled_buy",
    "undercover_meet",
    "surveillance",
    "reverse_sting",
    "money_flash",
    "raid",
    "interdiction",
    "other",
)
# E1: warrants, arrests and raids happen at one address; the rest move with their subjects (or might).
FIXED_SITE_KINDS = frozenset({"search_warrant", "arrest_warrant", "raid"})
FIXED_SITE_BUFFER_M = 300
MOBILE_BUFFER_M = 1600
PADDING = timedelta(minutes=60)  # E2
DEFAULT_DURATION = timedelta(hours=4)  # E2: a missing end means start + 4 h
MAX_WINDOW = timedelta(days=14)
TARGET_ADDRESS_M = 50  # E4

# The index's guarantee above holds only for buffers up to this and index points at most this far apart.
MAX_BUFFER_M = 2500
CELL_SPACING_M = 1000
CELL_RESOLUTION = 5
MAX_PADDING = timedelta(hours=12)

SEVERITIES = ("critical", "high", "medium", "low")
CONFLICT_KINDS = ("event_proximity", "event_subject", "target_address", "identifier")


@dataclass(frozen=True)
class KindRule:
    """How far around an operation of one kind, and how long before and after it, others must not be."""

    buffer_m: int
    padding: timedelta


def default_rule(kind: str) -> KindRule:
    return KindRule(FIXED_SITE_BUFFER_M if kind in FIXED_SITE_KINDS else MOBILE_BUFFER_M, PADDING)


@dataclass(frozen=True)
class Rules:
    """The deployment's buffer and padding per operation kind (published-practice defaults otherwise)."""

    overrides: Mapping[str, KindRule] | None = None

    def of(self, kind: str) -> KindRule:
        return (self.overrides or {}).get(kind) or default_rule(kind)


@dataclass(frozen=True)
class Finding:
    """One rule two submissions break together: which, how badly, how near and when."""

    kind: str
    severity: str
    distance_m: int | None = None
    overlap: dict[str, datetime] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "distance_m": self.distance_m, "overlap": self.overlap}


def footprint(
    *, operation_id: str, investigation_id: str, agency: str, number: str, plan: Mapping[str, Any], rule: KindRule
) -> dict[str, Any]:
    """What the index keeps of an operation: enough to test the rules exactly and to name whom to call."""
    return {
        "operation_id": operation_id,
        "investigation_id": investigation_id,
        "agency": agency,
        "deconfliction_number": number,
        "point_of_contact": dict(plan["point_of_contact"]),
        "kind": plan["kind"],
        "undercover": plan["undercover"],
        "armed_subjects": plan["armed_subjects"],
        "path": path_of(plan),
        "buffer_m": rule.buffer_m,
        "starts_at": plan["starts_at"],
        "ends_at": plan["ends_at"],
        "padding_minutes": int(rule.padding.total_seconds() // 60),
    }


def path_of(plan: Mapping[str, Any]) -> list[list[float]]:
    """The operation's place followed by its route, as [lat, lon] pairs."""
    location = plan["location"]
    return [[location["lat"], location["lon"]], *([p["lat"], p["lon"]] for p in plan.get("route") or ())]


def padded(entry: Mapping[str, Any]) -> tuple[datetime, datetime]:
    pad = timedelta(minutes=entry["padding_minutes"])
    return entry["starts_at"] - pad, entry["ends_at"] + pad


def _points(entry: Mapping[str, Any]) -> list[Point]:
    return [(p[0], p[1]) for p in entry["path"]]


TARGETS = "targets"  # the "day" of the index records that keep registered target addresses (no window)


def index_cells(entry: Mapping[str, Any]) -> list[str]:
    """The cells within one ring of every point of the entry's path (densified), in a stable order."""
    cells: set[str] = set()
    for lat, lon in densified(_points(entry), CELL_SPACING_M):
        cells.update(h3.grid_disk(h3.latlng_to_cell(lat, lon, CELL_RESOLUTION), 1))
    return sorted(cells)


def home_cell(point: Sequence[float]) -> str:
    """The cell a point lies in."""
    return str(h3.latlng_to_cell(point[0], point[1], CELL_RESOLUTION))


def home_cells(entry: Mapping[str, Any]) -> list[str]:
    """The cells the entry's path passes through (densified), in a stable order: where its entry is kept."""
    return sorted({home_cell(point) for point in densified(_points(entry), CELL_SPACING_M)})


def index_keys(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (cell, day) index records a check of the operation reads and writes, in a stable order."""
    return [(cell, day) for cell in index_cells(entry) for day in window_days(entry)]


def kept_keys(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (cell, day) index records that keep the operation's entry (a subset of its index keys)."""
    return [(cell, day) for cell in home_cells(entry) for day in window_days(entry)]


def window_days(entry: Mapping[str, Any]) -> list[str]:
    """The UTC days the entry's padded window touches."""
    start, end = padded(entry)
    return _days(start.date(), end.date())


def days_between(first: date, last: date) -> list[str]:
    """The UTC days from first to last, as index records name them."""
    return _days(first, last)


def _days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, datetime] | None:
    """E2: the stretch of time both padded windows cover; windows that just touch overlap (a raid's end is
    another's start: the teams are on the street together)."""
    (a_start, a_end), (b_start, b_end) = padded(a), padded(b)
    start, end = max(a_start, b_start), min(a_end, b_end)
    return {"starts_at": start, "ends_at": end} if start <= end else None


def proximity(mine: Mapping[str, Any], other: Mapping[str, Any]) -> Finding | None:
    """E1 + E2 (and G1, G3): two operations of different investigations whose buffers touch while both run."""
    if mine["investigation_id"] == other["investigation_id"]:
        return None  # G1: never a conflict with the same investigation
    when = overlap(mine, other)
    if when is None:
        return None
    distance = path_distance_m(_points(mine), _points(other))
    if distance > mine["buffer_m"] + other["buffer_m"]:
        return None
    dangerous = any(e["undercover"] or e["armed_subjects"] for e in (mine, other))
    return Finding("event_proximity", "critical" if dangerous else "high", round(distance), when)
