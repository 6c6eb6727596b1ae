"""The operations the benches plan: where and when (20 US metros and the rest of CONUS, steady or dense), and
what the deconfliction checks of such operations write into the ledger's index records.

Shared by bench/deconfliction_query.py and bench/plan_latency.py, so that both fill and probe alike.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from coordination.ledger import Ledger
from domain.area_index import AreaIndex
from domain.deconfliction import FIXED_SITE_KINDS, OPERATION_KINDS, Rules, footprint, index_keys, kept_keys
from domain.keys import NaturalKeys

# 20 US metro areas (lat, lon of the centre).
METROS = (
    ("New York", 40.7128, -74.0060), ("Los Angeles", 34.0522, -118.2437), ("Chicago", 41.8781, -87.6298),
    ("Houston", 29.7604, -95.3698), ("Phoenix", 33.4484, -112.0740), ("Philadelphia", 39.9526, -75.1652),
    ("San Antonio", 29.4241, -98.4936), ("San Diego", 32.7157, -117.1611), ("Dallas", 32.7767, -96.7970),
    ("Miami", 25.7617, -80.1918), ("Atlanta", 33.7490, -84.3880), ("Washington", 38.9072, -77.0369),
    ("Boston", 42.3601, -71.0589), ("Seattle", 47.6062, -122.3321), ("Denver", 39.7392, -104.9903),
    ("Detroit", 42.3314, -83.0458), ("Las Vegas", 36.1699, -115.1398), ("El Paso", 31.7619, -106.4850),
    ("Laredo", 27.5306, -99.4803), ("Baltimore", 39.2904, -76.6122),
)
CONUS = ((24.5, 49.0), (-124.7, -67.0))  # lat, lon bounding box
SCATTER_M = 15_000
METRO_SHARE = 0.7
HORIZON = timedelta(days=30)
# Half the three US systems' ~960 events a day: so that the smallest size (1,000) spans two days and its probes
# cross midnight (and so read two days' records) as often as at every larger size.
STEADY_PER_DAY = 500
PROBE_MARGIN, ZERO = timedelta(hours=8), timedelta(0)
AGENCIES = ("HSI", "DEA", "FBI", "ATF", "USMS", "CBP", "LAPD", "NYPD", "HPD", "CPD")
M_PER_DEG = 111_195.0
RULES = Rules()
EPOCH = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)  # "now" of the generated plans (fixed: runs are comparable)
# Events per ledger.save. On PostgreSQL a save of ~10,000 events (one psycopg pipeline) stalled: the server
# waiting in ClientRead, the client for results, until the connection's store wait ran out (never, on a plain
# eventsourcing ledger); cf. psycopg/psycopg#685. 1,000 never did here.
BATCH_EVENTS = {"sqlite": 10_000, "postgres": 1_000}

# --------------------------------------------------------------------------------------------- plans


def _uuid(rng: random.Random) -> str:
    return str(UUID(int=rng.getrandbits(128), version=4))


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    lat2 = max(-89.9, min(89.9, lat + north_m / M_PER_DEG))
    return lat2, lon + east_m / (M_PER_DEG * math.cos(math.radians(lat2)))


def _place(rng: random.Random) -> tuple[float, float]:
    if rng.random() < METRO_SHARE:
        _, lat, lon = rng.choice(METROS)
        return _offset(lat, lon, rng.gauss(0, SCATTER_M), rng.gauss(0, SCATTER_M))
    return rng.uniform(*CONUS[0]), rng.uniform(*CONUS[1])


def plan(rng: random.Random, horizon: timedelta = HORIZON, margin: timedelta = timedelta(0)) -> dict[str, Any]:
    """One operation's plan, in the stored form `footprint` reads; it starts within `horizon` of EPOCH, at least
    `margin` from either end."""
    kind = rng.choice(OPERATION_KINDS)
    lat, lon = _place(rng)
    route = []
    if kind not in FIXED_SITE_KINDS and rng.random() < 0.5:
        here = (lat, lon)
        for _ in range(rng.randint(1, 4)):
            leg, bearing = rng.uniform(1_000, 8_000), rng.uniform(0, 2 * math.pi)
            here = _offset(*here, leg * math.cos(bearing), leg * math.sin(bearing))
            route.append({"lat": here[0], "lon": here[1]})
    starts_at = EPOCH + margin + timedelta(minutes=rng.randrange(int((horizon - 2 * margin).total_seconds() // 60)))
    return {
        "kind": kind,
        "location": {"lat": lat, "lon": lon, "address": None},
        "route": route,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=rng.randrange(120, 361)),
        "point_of_contact": {"name": f"Agent {rng.randrange(10_000)}",
                             "phone": f"+1 555 {rng.randrange(1000):03d} {rng.randrange(10_000):04d}",
                             "email": None},
        "undercover": rng.random() < 0.25,
        "armed_subjects": rng.random() < 0.3,
    }


def horizon_of(size: int, density: str) -> timedelta:
    """When the operations start: within 30 days at every size (dense: a 100x larger N is a 100x denser
    neighbourhood), or at a steady 500 starts a day (steady: N/500 days; the three US systems see ~350,000
    events a year, ~960 a day, DOMAIN.md §2), where a larger N is a longer horizon, not a denser one."""
    return HORIZON if density == "dense" else timedelta(days=size / STEADY_PER_DAY)


def entries(seed: int, count: int, horizon: timedelta = HORIZON,
            margin: timedelta = timedelta(0)) -> list[dict[str, Any]]:
    """`count` operations' index entries; a few investigations plan several (G1 applies among them)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    investigation = _uuid(rng)
    for n in range(count):
        if rng.random() < 0.6:
            investigation = _uuid(rng)
        p = plan(rng, horizon, margin)
        out.append(footprint(operation_id=_uuid(rng), investigation_id=investigation,
                             agency=rng.choice(AGENCIES), number=f"DX27-{n:08d}", plan=p, rule=RULES.of(p["kind"])))
    return out


# --------------------------------------------------------------------------------------------- the fill


Placed = dict[tuple[str, str], list[tuple[dict[str, Any], bool]]]  # key -> (entry, kept here) of each check


def placed(entries: Iterable[dict[str, Any]]) -> Placed:
    """Every index key of every entry, with whether the entry is kept there (else its check only wrote there)."""
    by_key: Placed = defaultdict(list)
    for entry in entries:
        kept = set(kept_keys(entry))
        for key in index_keys(entry):
            by_key[key].append((entry, key in kept))
    return by_key


def fill_ledger(ledger: Ledger, keys: NaturalKeys, by_key: Placed, batch_events: int) -> int:
    """Every (cell, day) record with what each check wrote into it, one event each (`AreaIndex.keep`: Entered
    where the entry is kept, Checked elsewhere in its ring), saved in batches of ~batch_events events."""
    batch: list[AreaIndex] = []
    pending = events = 0
    for (cell, day), found in by_key.items():
        record = AreaIndex.start(id=keys.area(cell, day), cell=cell, day=day)
        for entry, here in found:
            record.keep(entry, here=here)
        batch.append(record)
        pending += 1 + len(found)
        if pending >= batch_events:
            ledger.save(*batch)
            events += pending
            batch, pending = [], 0
    if batch:
        ledger.save(*batch)
        events += pending
    return events
