"""The load of bench/streams.py: agencies planning operations (some near each other, so that conflicts are
notified) and appending actions, timed; what the samples add up to."""

from __future__ import annotations

import http.client
import json
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import drive
from bench.load import Client, percentile
from domain.deconfliction import OPERATION_KINDS

STREAM = "/api/v1/notifications/stream"
CONUS = ((24.5, 49.0), (-124.7, -67.0))
M_PER_DEG = 111_195.0
NEAR_M = 50.0


class Interrupted(Exception):
    pass


@dataclass
class Sample:
    op: str  # "plan" | "append"
    status: int  # 0: the connection failed
    seconds: float
    conflicts: int = 0  # notifiable conflicts the plan's answer named


class Places:
    """Where plans go: mostly nowhere near anything; a share next to another agency's cleared plan."""

    def __init__(self, near_share: float, seed: int):
        self.near_share = near_share
        self.lock = threading.Lock()
        self.cleared: list[tuple[str, float, float, datetime, str]] = []  # agency, lat, lon, starts_at, kind
        self.rng = random.Random(seed)

    def next(self, agency: str, rng: random.Random) -> tuple[float, float, datetime, str, bool]:
        if rng.random() < self.near_share:
            with self.lock:
                for i in range(len(self.cleared) - 1, max(-1, len(self.cleared) - 50), -1):
                    if self.cleared[i][0] != agency:
                        _, lat, lon, starts_at, _kind = self.cleared.pop(i)
                        bearing = rng.uniform(0, 2 * math.pi)
                        lat2 = lat + NEAR_M * math.cos(bearing) / M_PER_DEG
                        lon2 = lon + NEAR_M * math.sin(bearing) / (M_PER_DEG * math.cos(math.radians(lat)))
                        return lat2, lon2, starts_at, "raid", True
        lat, lon = rng.uniform(*CONUS[0]), rng.uniform(*CONUS[1])
        start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=rng.randrange(2 * 1440,
                                                                                                  360 * 1440))
        return lat, lon, start, rng.choice(OPERATION_KINDS), False

    def cleared_plan(self, agency: str, lat: float, lon: float, starts_at: datetime, kind: str) -> None:
        with self.lock:
            self.cleared.append((agency, lat, lon, starts_at, kind))
            if len(self.cleared) > 2000:
                del self.cleared[:1000]


def run_load(port: int, clients: list[tuple[str, str, list[str]]], seconds: float, places: Places,
             stop: threading.Event, seed: int) -> dict[str, Any]:
    """`clients` (agency, token, investigations) loop plan + append for `seconds`; the samples and CPU."""
    samples: list[Sample] = []
    lock = threading.Lock()

    def client(index: int, agency: str, token: str, cases: list[str], go: Any) -> None:
        rng = random.Random(seed * 1000 + index)
        c = Client(port, token)
        mine: list[Sample] = []
        end = go()
        n = 0
        while not stop.is_set() and time.perf_counter() < end:
            case = cases[n % len(cases)]
            n += 1
            lat, lon, starts_at, kind, near = places.next(agency, rng)
            body = {"investigation_id": case, "kind": kind, "location": {"lat": lat, "lon": lon},
                    "starts_at": starts_at.isoformat().replace("+00:00", "Z"),
                    "ends_at": (starts_at + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
                    "point_of_contact": {"name": f"Det. {agency} {index}", "phone": "+1 305 555 0100"},
                    "undercover": False, "armed_subjects": False}
            status, data, took = _timed(c, "POST", "/api/v1/operations", body)
            conflicts = 0
            if status == 201:
                answer = json.loads(data)
                found = answer.get("deconfliction", {}).get("conflicts", [])
                conflicts = sum(1 for x in found if x.get("severity") != "low")
                if not found and not near:
                    places.cleared_plan(agency, lat, lon, starts_at, kind)
            mine.append(Sample("plan", status, took, conflicts))
            status, _, took = _timed(c, "POST", f"/api/v1/investigations/{case}/actions",
                                     {"kind": "interview", "summary": f"streams bench {agency} {index} {n}"})
            mine.append(Sample("append", status, took))
        c.close()
        with lock:
            samples.extend(mine)

    _, took, cpu = drive(client, clients, seconds, stop)
    return {"samples": samples, "seconds": took, "cpu": cpu}


def _timed(c: Client, method: str, path: str, body: Any) -> tuple[int, bytes, float]:
    t0 = time.perf_counter()
    try:
        status, data = c.request(method, path, body)
    except (http.client.HTTPException, OSError) as error:
        return 0, str(error).encode(), time.perf_counter() - t0
    return status, data, time.perf_counter() - t0


def summarize(run: dict[str, Any], streams_open: int) -> dict[str, Any]:
    out: dict[str, Any] = {"seconds": round(run["seconds"], 2), "streams_open": streams_open, "cpu": run["cpu"]}
    for op in ("plan", "append"):
        mine = [s for s in run["samples"] if s.op == op]
        ok = sorted(s.seconds for s in mine if 200 <= s.status < 300)
        every = sorted(s.seconds for s in mine)

        def ms(v: float | None) -> float | None:
            return None if v is None else round(v * 1000, 1)

        out[op] = {"requests": len(mine), "non_2xx": sum(1 for s in mine if not 200 <= s.status < 300),
                   "statuses": dict(Counter(s.status for s in mine)),
                   "rate": round(len(mine) / run["seconds"], 1),
                   "p50_ms": ms(percentile(ok, 0.5)), "p99_ms": ms(percentile(ok, 0.99)),
                   "max_ms": ms(ok[-1] if ok else None),
                   "p99_all_ms": ms(percentile(every, 0.99))}  # with the failures' time, if any
    out["plan"]["conflicts_named"] = sum(s.conflicts for s in run["samples"] if s.op == "plan")
    return out
