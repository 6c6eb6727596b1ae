"""The planners of bench/plan_latency.py: each plans through the API as one agency would, and what their answers
add up to (latency percentiles, where the tail comes from, CPU per plan)."""

from __future__ import annotations

import dataclasses
import http.client
import json
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import drive
from bench.load import Client, percentile
from bench.plan_fill import shifted
from bench.workload import plan

SUBJECT_SHARE = 0.3  # plans that name one or two of their case's subjects
GOALS_MS = {"sqlite": 25.0, "postgres": 50.0}


@dataclasses.dataclass
class Sample:
    sent: float  # perf_counter when sent
    seconds: float
    status: int  # 0: the connection failed
    conflicts: int = 0  # conflicts the answer named (its parties are told)
    detail: str = ""


def plan_body(rng: random.Random, case: str, subjects: list[str], planner: int,
              horizon: timedelta) -> dict[str, Any]:
    """A plan drawn as the fill's are, its window from now; 30 % name one or two of the case's subjects."""
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=5)
    p = shifted(plan(rng, horizon), now)
    body = {
        "investigation_id": case, "kind": p["kind"],
        "location": {"lat": p["location"]["lat"], "lon": p["location"]["lon"]},
        "route": p["route"], "starts_at": _iso(p["starts_at"]), "ends_at": _iso(p["ends_at"]),
        "point_of_contact": {"name": f"Det. Planner {planner}", "phone": p["point_of_contact"]["phone"]},
        "undercover": p["undercover"], "armed_subjects": p["armed_subjects"],
    }
    if subjects and rng.random() < SUBJECT_SHARE:
        body["subject_ids"] = rng.sample(subjects, rng.randint(1, min(2, len(subjects))))
    return body


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def run_planners(port: int, planners: list[tuple[str, str, list[str]]], seconds: float, stop: threading.Event,
                 seed: int, horizon: timedelta, think: float = 0.0) -> dict[str, Any]:
    """Each (token, case, subjects) planner POSTs plans for `seconds`, without pause (`think` 0) or after a
    random pause of `think` seconds on average (exponential); samples and CPU used."""
    samples: list[Sample] = []
    lock = threading.Lock()

    def planner(index: int, token: str, case: str, subjects: list[str], go: Any) -> None:
        rng = random.Random(seed * 1000 + index)
        c = Client(port, token)
        mine: list[Sample] = []
        end = go()
        while not stop.is_set() and time.perf_counter() < end:
            if think:
                stop.wait(min(rng.expovariate(1 / think), max(0.0, end - time.perf_counter())))
                if stop.is_set() or time.perf_counter() >= end:
                    break
            body = plan_body(rng, case, subjects, index, horizon)
            t0 = time.perf_counter()
            try:
                status, data = c.request("POST", "/api/v1/operations", body)
            except (http.client.HTTPException, OSError) as error:
                mine.append(Sample(t0, time.perf_counter() - t0, 0, detail=f"{type(error).__name__}: {error}"))
                continue
            took = time.perf_counter() - t0
            if status == 201:
                found = json.loads(data)["deconfliction"]["conflicts"]
                mine.append(Sample(t0, took, status, len(found)))
            else:
                mine.append(Sample(t0, took, status, detail=data[:300].decode(errors="replace")))
        c.close()
        with lock:
            samples.extend(mine)

    start, took, cpu = drive(planner, planners, seconds, stop)
    return {"samples": samples, "start": start, "seconds": took, "cpu": cpu}


def summarize(samples: list[Sample], seconds: float, cpu: dict[str, float] | None, store: str) -> dict[str, Any]:
    ok = sorted(s.seconds for s in samples if s.status == 201)

    def ms(v: float | None) -> float | None:
        return None if v is None else round(v * 1000, 2)

    p99 = ms(percentile(ok, 0.99))
    out = {
        "requests": len(samples), "created_201": len(ok), "non_201": sum(1 for s in samples if s.status != 201),
        "statuses": dict(Counter(s.status for s in samples)), "seconds": round(seconds, 2),
        "rate": round(len(ok) / seconds, 1) if seconds else 0.0,
        "p50_ms": ms(percentile(ok, 0.5)), "p95_ms": ms(percentile(ok, 0.95)), "p99_ms": p99,
        "max_ms": ms(ok[-1] if ok else None), "mean_ms": ms(sum(ok) / len(ok) if ok else None),
        "cleared": sum(1 for s in samples if s.status == 201 and s.conflicts == 0),
        "with_conflicts": sum(1 for s in samples if s.status == 201 and s.conflicts > 0),
        "conflicts_named": sum(s.conflicts for s in samples),
        "error_samples": [f"{s.status}: {s.detail}" for s in samples if s.status != 201][:10],
        "goal_ms": GOALS_MS[store], "cpu": cpu,
    }
    out["goal_met"] = bool(p99 is not None and p99 < GOALS_MS[store] and out["non_201"] == 0)
    out["tail"] = tail_split([s for s in samples if s.status == 201])
    if cpu and ok:
        out["cpu_ms_per_plan"] = {k: round(1000 * cpu[k] / len(ok), 2) for k in ("server", "database", "client")}
    return out


def tail_split(ok: list[Sample]) -> dict[str, Any]:
    """Where the tail comes from: p50/p99 of plans cleared and with conflicts, alone in the server and
    overlapping another plan (sent while another was in flight, or still in flight when another was sent)."""
    by_sent = sorted(ok, key=lambda s: s.sent)
    overlapped: set[int] = set()
    latest_end, latest = float("-inf"), -1
    for i, s in enumerate(by_sent):
        if s.sent < latest_end:
            overlapped.update((i, latest))
        if s.sent + s.seconds > latest_end:
            latest_end, latest = s.sent + s.seconds, i

    def figures(group: list[Sample]) -> dict[str, Any]:
        times = sorted(s.seconds for s in group)
        return {"n": len(times), "p50_ms": round(1000 * (percentile(times, 0.5) or 0), 2),
                "p99_ms": round(1000 * (percentile(times, 0.99) or 0), 2)}

    return {"cleared": figures([s for s in ok if not s.conflicts]),
            "with_conflicts": figures([s for s in ok if s.conflicts]),
            "alone": figures([s for i, s in enumerate(by_sent) if i not in overlapped]),
            "overlapping": figures([s for i, s in enumerate(by_sent) if i in overlapped])}
