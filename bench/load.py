"""The HTTP side of the benchmark: client threads appending through the API, latency statistics, read-back checks."""

from __future__ import annotations

import http.client
import json
import secrets
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.harness import METER, join_threads

# --------------------------------------------------------------------------------------------- statistics


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


@dataclass
class Scenario:
    """What the clients of one scenario did; latencies in seconds, of successful requests (or saves)."""

    name: str
    clients: int
    seconds: float = 0.0
    ok: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    conflicts: int = 0  # library baseline: IntegrityErrors retried
    per_second: list[int] = field(default_factory=list)
    verification: dict[str, Any] | None = None
    error_samples: list[str] = field(default_factory=list)
    cpu: dict[str, float] | None = None
    quiet: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def ms(v: float | None) -> float | None:
            return None if v is None else round(v * 1000, 2)

        return {
            "scenario": self.name, "clients": self.clients, "seconds": round(self.seconds, 3), "ok": self.ok,
            "rate": round(self.ok / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": ms(percentile(lat, 0.50)), "p95_ms": ms(percentile(lat, 0.95)),
            "p99_ms": ms(percentile(lat, 0.99)), "max_ms": ms(lat[-1] if lat else None),
            "mean_ms": ms(statistics.fmean(lat) if lat else None),
            "errors": dict(self.errors), "error_count": sum(self.errors.values()),
            "conflicts_retried": self.conflicts, "per_second": self.per_second,
            "error_samples": self.error_samples[:10], "verification": self.verification,
            "cpu": self.cpu, "before_start": self.quiet,
        }


def bucket_per_second(stamps: list[float], start: float, seconds: float) -> list[int]:
    buckets = [0] * max(1, int(seconds + 0.999))
    for t in stamps:
        i = int(t - start)
        if 0 <= i < len(buckets):
            buckets[i] += 1
    return buckets


# --------------------------------------------------------------------------------------------- HTTP client


class Client:
    """One keep-alive connection (gunicorn's sync workers close it after each response; it reopens)."""

    # gunicorn.conf.py's keepalive is 5 s: a connection idle longer is closed by the server, and a request sent on
    # it fails with a broken pipe. Like a pooled HTTP client, reopen one idle this long before sending on it.
    IDLE_REOPEN_SECONDS = 4.0

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.used = time.monotonic()

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        payload = None if body is None else json.dumps(body).encode()
        if time.monotonic() - self.used > self.IDLE_REOPEN_SECONDS:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        self.used = time.monotonic()
        try:
            self.conn.request(method, path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            raise

    def json(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        status, data = self.request(method, path, body)
        if status != expect:
            raise RuntimeError(f"{method} {path} -> {status}: {data[:500].decode(errors='replace')}")
        return json.loads(data)

    def close(self) -> None:
        self.conn.close()


def run_http_scenario(
    name: str, port: int, token: str, targets: list[str], seconds: float, stop: threading.Event
) -> tuple[Scenario, dict[str, Any]]:
    """Each client appends to its target for `seconds`; returns the stats and, per investigation,
    the summaries answered 201 and those answered otherwise (their fate is unknown to the client)."""
    scenario = Scenario(name, len(targets))
    lock = threading.Lock()
    barrier = threading.Barrier(len(targets) + 1)
    sent: dict[str, dict[str, list[str]]] = {t: {"created": [], "other": []} for t in set(targets)}
    stamps: list[float] = []
    tag = secrets.token_hex(3)
    window: dict[str, float] = {}

    def client(index: int, inv_id: str) -> None:
        c = Client(port, token)
        path = f"/api/v1/investigations/{inv_id}/actions"
        lat, my_stamps, created, other, errors, samples = [], [], [], [], Counter(), []
        barrier.wait()
        deadline = window["end"]
        n = 0
        while not stop.is_set():
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            n += 1
            summary = f"{name} {tag} client {index} append {n}"
            try:
                status, data = c.request("POST", path, {"kind": "interview", "summary": summary})
            except (http.client.HTTPException, OSError) as error:
                errors[f"connection: {type(error).__name__}"] += 1
                other.append(summary)
                if len(samples) < 3:
                    samples.append(f"{type(error).__name__}: {error}")
                continue
            t1 = time.perf_counter()
            if status == 201:
                lat.append(t1 - t0)
                my_stamps.append(t1)
                created.append(summary)
            else:
                errors[str(status)] += 1
                other.append(summary)
                if len(samples) < 3:
                    samples.append(f"{status}: {data[:300].decode(errors='replace')}")
        c.close()
        with lock:
            scenario.latencies.extend(lat)
            stamps.extend(my_stamps)
            scenario.errors.update(errors)
            scenario.error_samples.extend(samples)
            sent[inv_id]["created"].extend(created)
            sent[inv_id]["other"].extend(other)

    threads = [threading.Thread(target=client, args=(i, t), daemon=True) for i, t in enumerate(targets)]
    run_timed(scenario, threads, stamps, window, barrier, stop, seconds)
    return scenario, {"prefix": f"{name} {tag} ", "investigations": sent}


def run_timed(
    scenario: Scenario, threads: list[threading.Thread], stamps: list[float], window: dict[str, float],
    barrier: threading.Barrier, stop: threading.Event, seconds: float,
) -> None:
    """Start the clients, open the timed window, wait for them, and fill in the scenario's rate and CPU."""
    for th in threads:
        th.start()
    cpu_before = METER.snapshot()
    start = time.perf_counter()
    window["end"] = start + seconds
    barrier.wait()
    join_threads(threads, stop)
    scenario.seconds = max(time.perf_counter() - start, 1e-9)
    scenario.cpu = METER.used(cpu_before, METER.snapshot(), scenario.seconds)
    scenario.ok = len(scenario.latencies)
    scenario.per_second = bucket_per_second(stamps, start, seconds)


def verify_appends(c: Client, run: dict[str, Any], base_versions: dict[str, int]) -> dict[str, Any]:
    """Read every investigation back: each 201 of this scenario stored exactly once, nothing else stored."""
    sent, prefix = run["investigations"], run["prefix"]
    report: dict[str, Any] = {"investigations": len(sent), "created_201": 0, "stored": 0, "version_ok": True,
                              "missing": [], "duplicated": [], "stored_without_201": [], "unexpected": []}
    for inv_id, what in sent.items():
        created, other = what["created"], set(what["other"])
        summaries = [s for s in _timeline_summaries(c, inv_id) if s.startswith(prefix)]
        version = c.json("GET", f"/api/v1/investigations/{inv_id}")["version"]
        counts = Counter(summaries)
        report["created_201"] += len(created)
        report["stored"] += len(summaries)
        expected_version = base_versions[inv_id] + len(summaries)
        if version != base_versions[inv_id] + len(created):
            report["version_ok"] = False
            report.setdefault("version_mismatch", []).append(
                {"investigation": inv_id, "version": version, "base": base_versions[inv_id],
                 "created_201": len(created), "stored_actions": len(summaries),
                 "version_matches_stored": version == expected_version})
        report["missing"] += [s for s in created if counts[s] == 0]
        report["duplicated"] += [s for s, k in counts.items() if k > 1]
        report["stored_without_201"] += [s for s in counts if s in other]
        known = set(created) | other
        report["unexpected"] += [s for s in counts if s not in known]
    report["exactly_once"] = not (report["missing"] or report["duplicated"] or report["unexpected"]) and \
        report["created_201"] == report["stored"] - len(report["stored_without_201"])
    for key in ("missing", "duplicated", "stored_without_201", "unexpected"):
        report[f"{key}_count"] = len(report[key])
        report[key] = report[key][:20]
    return report


def _timeline_summaries(c: Client, inv_id: str) -> list[str]:
    summaries, cursor = [], None
    while True:
        query = "limit=500" + (f"&cursor={cursor}" if cursor else "")
        page = c.json("GET", f"/api/v1/investigations/{inv_id}/timeline?{query}")
        summaries += [e["data"]["summary"] for e in page["items"] if e["type"] == "action_logged"]
        cursor = page["next_cursor"]
        if not cursor:
            return summaries

