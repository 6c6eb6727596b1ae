"""Append throughput through the real deployment (gunicorn + projection worker) against the raw library.

    .venv/bin/python bench/append_throughput.py [--store sqlite|postgres|both] [--seconds 10]
                                                [--clients 16] [--workers 4]

For each store, in one run:
  1. a fresh store (a temp PATHWAYS_DATA_DIR, or a fresh PostgreSQL schema bench_<random>), `pathways migrate`,
     then gunicorn (CREATE_TABLE=n) and `pathways worker`, as a deployment runs them; waits for /readyz 200;
  2. opens one investigation per client, plus one for the hot scenario;
  3. "distinct": each client appends actions to its own investigation;
  4. "hot": every client appends to the same investigation;
     after each scenario the stored actions are read back through the timeline and checked against the 201s
     (every 201 stored exactly once, nothing stored twice);
  5. the library baseline on the same kind of store (its own directory / schema, server stopped):
     one event per `save()` from the same number of threads, to distinct aggregates and to one hot aggregate;
  6. prints a markdown table and writes the raw results to bench/results/append_<store>_<timestamp>.json.

The client is deliberately light (http.client, json, threading) but it runs on the same machine as the
server: its threads take CPU the server would otherwise have.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eventsourcing.domain import Aggregate, event  # noqa: E402
from eventsourcing.persistence import IntegrityError  # noqa: E402

from coordination.config import Settings  # noqa: E402
from coordination.ledger import Ledger, ledger_env  # noqa: E402
from coordination.tokens import mint_dev_token  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
RESULTS = ROOT / "bench" / "results"
PG = {"POSTGRES_DBNAME": "test", "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "5432",
      "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": ""}
# Settings we set ourselves; inherited values would make the run depend on the caller's shell.
_OURS = ("PATHWAYS_", "POSTGRES_", "PERSISTENCE_MODULE", "SQLITE_", "CREATE_TABLE", "PROMETHEUS_MULTIPROC_DIR",
         "CIPHER_", "COMPRESSOR_TOPIC", "AGGREGATE_CACHE")


class Interrupted(Exception):
    """SIGTERM arrived; unwind through the finally blocks like Ctrl-C does."""


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


def _per_second(stamps: list[float], start: float, seconds: float) -> list[int]:
    buckets = [0] * max(1, int(seconds + 0.999))
    for t in stamps:
        i = int(t - start)
        if 0 <= i < len(buckets):
            buckets[i] += 1
    return buckets


# --------------------------------------------------------------------------------------------- CPU accounting

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_ticks(pid: int) -> tuple[int, int, str]:
    """(utime + stime, ppid, comm) of one process, from /proc (0 if it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0, 0, ""
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12]), int(fields[1]), comm


class CpuMeter:
    """Who used the machine's CPU during a scenario: the server (gunicorn + worker), the database
    (every postgres process), this client, and everything else (other users of this machine)."""

    def __init__(self) -> None:
        self.server_roots: set[int] = set()

    def snapshot(self) -> dict[str, float]:
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        busy = sum(cpu) - cpu[3] - (cpu[4] if len(cpu) > 4 else 0)  # minus idle and iowait
        procs = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                procs[int(entry)] = _proc_ticks(int(entry))
        server_pids = set(self.server_roots)
        grew = True
        while grew:  # the server roots and all their descendants
            more = {pid for pid, (_, ppid, _) in procs.items() if ppid in server_pids} - server_pids
            server_pids |= more
            grew = bool(more)
        me = os.getpid()
        groups = {"server": 0, "database": 0, "client": procs.get(me, (0,))[0]}
        for pid, (ticks, _, comm) in procs.items():
            if pid in server_pids:
                groups["server"] += ticks
            elif comm.startswith("postgres"):
                groups["database"] += ticks
        return {"busy": busy / _TICK, **{k: v / _TICK for k, v in groups.items()}}

    @staticmethod
    def used(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
        d = {k: after[k] - before[k] for k in before}
        ours = d["server"] + d["database"] + d["client"]
        return {"wall_seconds": round(seconds, 2), "capacity_cpu_seconds": round(seconds * (os.cpu_count() or 1), 2),
                "server": round(d["server"], 2), "database": round(d["database"], 2),
                "client": round(d["client"], 2), "other": round(max(0.0, d["busy"] - ours), 2),
                "busy": round(d["busy"], 2)}

    def wait_for_quiet(self, max_wait: float, threshold: float = 0.25) -> dict[str, Any]:
        """Wait (up to max_wait s) until other processes use less than `threshold` cores for 2 s."""
        t0 = time.monotonic()
        seen = []
        while True:
            before = self.snapshot()
            time.sleep(2.0)
            used = self.used(before, self.snapshot(), 2.0)
            other = (used["other"] + used["database"]) / 2.0  # no database work of ours between scenarios
            seen.append(round(other, 2))
            if other < threshold or time.monotonic() - t0 >= max_wait:
                return {"waited_seconds": round(time.monotonic() - t0, 1), "other_cores": seen[-1],
                        "quiet": other < threshold}


METER = CpuMeter()


# --------------------------------------------------------------------------------------------- HTTP client


class Client:
    """One keep-alive connection (gunicorn's sync workers close it after each response; it reopens)."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        payload = None if body is None else json.dumps(body).encode()
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
    for th in threads:
        th.start()
    cpu_before = METER.snapshot()
    start = time.perf_counter()
    window["end"] = start + seconds
    barrier.wait()
    _join(threads, stop)
    scenario.seconds = max(time.perf_counter() - start, 1e-9)
    scenario.cpu = METER.used(cpu_before, METER.snapshot(), scenario.seconds)
    scenario.ok = len(scenario.latencies)
    scenario.per_second = _per_second(stamps, start, seconds)
    return scenario, {"prefix": f"{name} {tag} ", "investigations": sent}


def _join(threads: list[threading.Thread], stop: threading.Event) -> None:
    try:
        for th in threads:
            while th.is_alive():
                th.join(0.2)
    except BaseException:
        stop.set()
        raise


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


# --------------------------------------------------------------------------------------------- deployment


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname=PG["POSTGRES_DBNAME"], host=PG["POSTGRES_HOST"], port=int(PG["POSTGRES_PORT"]),
                         user=PG["POSTGRES_USER"], password=PG["POSTGRES_PASSWORD"], autocommit=True) as conn:
        conn.execute(sql)


def store_env(store: str, data_dir: Path, schema: str | None, secret: str) -> dict[str, str]:
    env = _base_env()
    env.update(PATHWAYS_STORE=store, PATHWAYS_DATA_DIR=str(data_dir), PATHWAYS_AUTH_DEV_SECRET=secret)
    if store == "postgres":
        env.update(PG, POSTGRES_SCHEMA=schema or "public")
    return env


class Deployment:
    """gunicorn + the projection worker on one store, started and stopped as a deployment would."""

    def __init__(self, env: dict[str, str], workdir: Path, workers: int):
        self.port = _free_port()
        self.workdir = workdir
        metrics = workdir / "metrics"
        metrics.mkdir(parents=True, exist_ok=True)
        self.env = {**env, "CREATE_TABLE": "n", "PATHWAYS_BIND": f"127.0.0.1:{self.port}",
                    "PATHWAYS_WORKERS": str(workers), "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        with open(log, "wb") as out:
            # Own session: a Ctrl-C at the terminal reaches only us; we stop the children in order.
            self.procs[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                                start_new_session=True)

    def start(self, ready_timeout: float = 90.0) -> None:
        self._spawn("worker", [str(VENV_BIN / "pathways"), "worker"])
        self._spawn("gunicorn", [str(PYTHON), "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"])
        METER.server_roots = {p.pid for p in self.procs.values()}
        deadline = time.monotonic() + ready_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode} before /readyz:\n{self.tail(name)}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/readyz")
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status == 200:
                    return
                last = f"{response.status}: {body[:300]!r}"
            except OSError as error:
                last = f"{type(error).__name__}: {error}"
            time.sleep(0.2)
        raise RuntimeError(f"/readyz not 200 after {ready_timeout:.0f} s ({last}):\n{self.tail('gunicorn')}")

    def readiness(self) -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/readyz")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def wait_caught_up(self, timeout: float = 120.0) -> float | None:
        """Seconds until every projection's lag is 0 (None if not within `timeout`)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            lag = self.readiness().get("checks", {}).get("projections", {}).get("lag", {})
            if lag and all(v == 0 for v in lag.values()):
                return time.monotonic() - t0
            time.sleep(0.1)
        return None

    def tail(self, name: str, lines: int = 60) -> str:
        log = self.logs.get(name)
        if not log or not log.exists():
            return "(no log)"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def problems(self) -> list[str]:
        """Log lines that speak of errors (tracebacks, worker timeouts, failed audit records)."""
        found = []
        for name, log in self.logs.items():
            if not log.exists():
                continue
            for line in log.read_text(errors="replace").splitlines():
                low = line.lower()
                if ("traceback" in low or '"level": "error"' in low or "[error]" in low or "critical" in low
                        or "exception" in low or "timeout" in low):
                    found.append(f"{name}: {line[:400]}")
        return found

    def stop(self) -> dict[str, int | None]:
        codes: dict[str, int | None] = {}
        for name in ("gunicorn", "worker"):
            proc = self.procs.get(name)
            if proc is None:
                continue
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
            codes[name] = proc.returncode
        self.procs.clear()
        METER.server_roots = set()
        return codes


# --------------------------------------------------------------------------------------------- library baseline


class Tally(Aggregate):
    """The smallest aggregate: one event type, one field."""

    def __init__(self) -> None:
        self.count = 0

    @event("Noted")
    def note(self, text: str) -> None:
        self.count += 1


def run_library(
    settings: Settings, clients: int, seconds: float, stop: threading.Event, quiet: Any
) -> list[Scenario]:
    """One event per save, from `clients` threads: to distinct aggregates, then to one hot aggregate."""
    ledger = Ledger(env=ledger_env(settings, create_tables=True))
    scenarios = []
    try:
        for run in (_library_distinct, _library_hot):
            before = quiet()
            scenarios.append(run(ledger, clients, seconds, stop))
            scenarios[-1].quiet = before
        return scenarios
    finally:
        ledger.close()


def _library_threads(scenario: Scenario, clients: int, seconds: float, stop: threading.Event, body: Any) -> None:
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    stamps: list[float] = []
    window: dict[str, float] = {}

    def run(index: int) -> None:
        lat, my_stamps, errors, conflicts = [], [], Counter(), 0
        step = body(index)
        barrier.wait()
        deadline = window["end"]
        while not stop.is_set():
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            try:
                conflicts += step()
            except Exception as error:  # noqa: BLE001 - counted and reported
                errors[type(error).__name__] += 1
                if len(scenario.error_samples) < 10:
                    scenario.error_samples.append(f"{type(error).__name__}: {error}")
                continue
            t1 = time.perf_counter()
            lat.append(t1 - t0)
            my_stamps.append(t1)
        with lock:
            scenario.latencies.extend(lat)
            stamps.extend(my_stamps)
            scenario.errors.update(errors)
            scenario.conflicts += conflicts

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for th in threads:
        th.start()
    cpu_before = METER.snapshot()
    start = time.perf_counter()
    window["end"] = start + seconds
    barrier.wait()
    _join(threads, stop)
    scenario.seconds = max(time.perf_counter() - start, 1e-9)
    scenario.cpu = METER.used(cpu_before, METER.snapshot(), scenario.seconds)
    scenario.ok = len(scenario.latencies)
    scenario.per_second = _per_second(stamps, start, seconds)


def _library_distinct(ledger: Ledger, clients: int, seconds: float, stop: threading.Event) -> Scenario:
    scenario = Scenario("library distinct", clients)
    tallies: dict[int, Tally] = {}

    def body(index: int) -> Any:
        tally = Tally()
        ledger.save(tally)
        tallies[index] = tally

        def step() -> int:
            tally.note(text="x")  # held in memory: nobody else writes to it
            ledger.save(tally)
            return 0

        return step

    _library_threads(scenario, clients, seconds, stop, body)
    stored = sum(ledger.repository.get(t.id).version - 1 for t in tallies.values())
    scenario.verification = {"saves": scenario.ok, "stored": stored, "exactly_once": stored == scenario.ok}
    return scenario


def _library_hot(ledger: Ledger, clients: int, seconds: float, stop: threading.Event) -> Scenario:
    scenario = Scenario("library hot", clients)
    hot = Tally()
    ledger.save(hot)

    def body(index: int) -> Any:
        def step() -> int:
            # As the API does: load (cache + fast-forward), change, save; on a lost race back off and retry.
            for attempt in range(1000):
                tally = ledger.repository.get(hot.id)
                tally.note(text="x")
                try:
                    ledger.save(tally)
                    return attempt
                except IntegrityError:
                    time.sleep(random.uniform(0, 0.002 * (2 ** min(attempt, 6))))
            raise RuntimeError("1000 lost races in a row")

        return step

    _library_threads(scenario, clients, seconds, stop, body)
    stored = ledger.repository.get(hot.id).version - 1
    scenario.verification = {"saves": scenario.ok, "stored": stored, "exactly_once": stored == scenario.ok}
    return scenario


# --------------------------------------------------------------------------------------------- one store


def bench_store(store: str, args: argparse.Namespace, stop: threading.Event) -> dict[str, Any]:
    secret = secrets.token_urlsafe(24)
    tmp = Path(tempfile.mkdtemp(prefix=f"pathways-bench-{store}-"))
    schemas: list[str] = []
    result: dict[str, Any] = {"store": store, "clients": args.clients, "seconds": args.seconds,
                              "workers": args.workers, "scenarios": []}
    deployment: Deployment | None = None
    result["loadavg_before"] = os.getloadavg()  # other work on the machine skews every number below

    def quiet() -> dict[str, Any] | None:
        if args.quiet_wait <= 0:
            return None
        seen = METER.wait_for_quiet(args.quiet_wait)
        if not seen["quiet"]:
            print(f"[{store}] machine still busy after {seen['waited_seconds']} s "
                  f"(other processes: {seen['other_cores']} cores); measuring anyway", flush=True)
        return seen
    try:
        api_schema = lib_schema = None
        if store == "postgres":
            api_schema, lib_schema = f"bench_{secrets.token_hex(4)}", f"bench_{secrets.token_hex(4)}"
            schemas += [api_schema, lib_schema]
            result["schemas"] = schemas
        env = store_env(store, tmp / "api", api_schema, secret)
        settings = Settings.from_env(env)

        print(f"[{store}] migrate", flush=True)
        migrate = subprocess.run([str(VENV_BIN / "pathways"), "migrate"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=120)
        if migrate.returncode != 0:
            raise RuntimeError(f"pathways migrate failed ({migrate.returncode}):\n{migrate.stdout}{migrate.stderr}")

        deployment = Deployment(env, tmp / "run", args.workers)
        print(f"[{store}] starting gunicorn ({args.workers} workers) on port {deployment.port} and the worker",
              flush=True)
        deployment.start()

        token = mint_dev_token(settings.auth, sub="bench-agent", agency="HSI", roles=["agent"], name="Bench Agent")
        admin = Client(deployment.port, token)
        investigations = [
            admin.json("POST", "/api/v1/investigations",
                       {"title": f"Bench case {i}", "threat_domain": "human_smuggling"}, expect=201)["id"]
            for i in range(args.clients + 1)
        ]
        hot_id, own_ids = investigations[-1], investigations[:-1]
        versions = {i: admin.json("GET", f"/api/v1/investigations/{i}")["version"] for i in investigations}

        if args.warmup > 0:  # every gunicorn worker imported and connected before timing
            run_http_scenario("warmup", deployment.port, token, own_ids, args.warmup, stop)
            versions.update({i: admin.json("GET", f"/api/v1/investigations/{i}")["version"] for i in own_ids})

        for name, targets in (("API distinct", own_ids), ("API hot", [hot_id] * args.clients)):
            before = quiet()
            print(f"[{store}] {name}: {args.clients} clients for {args.seconds:g} s", flush=True)
            scenario, sent = run_http_scenario(name, deployment.port, token, targets, args.seconds, stop)
            scenario.quiet = before
            scenario.verification = verify_appends(admin, sent, versions)
            if name == "API hot":
                scenario.verification["hot_version"] = admin.json("GET", f"/api/v1/investigations/{hot_id}")["version"]
            result["scenarios"].append(scenario.summary())

        result["projection_catch_up_seconds"] = deployment.wait_caught_up()
        result["readyz_after"] = deployment.readiness()
        admin.close()
        result["server_log_problems"] = deployment.problems()[:50]
        result["exit_codes"] = deployment.stop()
        deployment = None

        print(f"[{store}] library baseline: {args.clients} threads, {args.seconds:g} s each", flush=True)
        if store == "postgres":
            _pg_exec(f'CREATE SCHEMA "{lib_schema}"')
        lib_settings = Settings.from_env(store_env(store, tmp / "library", lib_schema, secret))
        lib_settings.data_dir.mkdir(parents=True, exist_ok=True)
        for scenario in run_library(lib_settings, args.clients, args.seconds, stop, quiet):
            result["scenarios"].append(scenario.summary())
        result["loadavg_after"] = os.getloadavg()
        return result
    finally:
        if deployment is not None:
            codes = deployment.stop()
            print(f"[{store}] stopped gunicorn and the worker {codes}", file=sys.stderr)
        for schema in schemas:
            try:
                _pg_exec(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            except Exception as error:  # noqa: BLE001 - say so, keep cleaning
                print(f"[{store}] could not drop schema {schema}: {error}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------- report


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{v:,.1f}" if isinstance(v, float) else str(v)


def markdown(result: dict[str, Any]) -> str:
    rows = {s["scenario"]: s for s in result["scenarios"]}
    lib = {"API distinct": rows.get("library distinct"), "API hot": rows.get("library hot")}
    lines = [
        f"### {result['store']}: {result['clients']} clients, {result['seconds']:g} s per scenario, "
        f"{result['workers']} gunicorn workers",
        "",
        "| scenario | appends/s | p50 ms | p95 ms | p99 ms | errors | API / library | stored exactly once "
        "| CPU s: server / db / client / other |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for s in result["scenarios"]:
        base = lib.get(s["scenario"])
        ratio = f"{s['rate'] / base['rate']:.2f}" if base and base["rate"] else ""
        errors = s["error_count"]
        if s["errors"]:
            errors = f"{errors} ({', '.join(f'{k}: {v}' for k, v in sorted(s['errors'].items()))})"
        if s["conflicts_retried"]:
            errors = f"{errors}; {s['conflicts_retried']} conflicts retried"
        v = s.get("verification") or {}
        once = "yes" if v.get("exactly_once") else "NO"
        if "created_201" in v:
            once += f" ({v['created_201']} x 201, {v['stored']} stored)"
        if v.get("hot_version") is not None:
            once += f"; version {v['hot_version']}"
        c = s.get("cpu") or {}
        cpu = (f"{c['server']:.1f} / {c['database']:.1f} / {c['client']:.1f} / {c['other']:.1f} "
               f"of {c['capacity_cpu_seconds']:.0f}") if c else ""
        lines.append(f"| {s['scenario']} | {s['rate']:,.1f} | {_fmt(s['p50_ms'])} | {_fmt(s['p95_ms'])} | "
                     f"{_fmt(s['p99_ms'])} | {errors} | {ratio} | {once} | {cpu} |")
    catch_up = result.get("projection_catch_up_seconds")
    caught = f"in {catch_up:.1f} s" if catch_up is not None else "NOT within 120 s"
    lines += ["", f"Projection worker caught up {caught} after the API scenarios. The HTTP clients share the machine's "
              f"{os.cpu_count()} cores with gunicorn, the worker and the database; the library baseline ran with "
              "the server stopped, from one process (its CPU counts as client). CPU s: CPU seconds used during "
              "the scenario by gunicorn + the projection worker, by PostgreSQL, by this process, and by anything "
              "else on the machine, out of cores x seconds."]
    load = " / ".join(f"{x:.2f}" for x in result["loadavg_before"])
    lines += [f"Load average (1/5/15 min) before this store: {load}."]
    if result.get("server_log_problems"):
        lines += ["", f"Server log lines that mention errors: {len(result['server_log_problems'])} (see the JSON)."]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version(),
                            "sqlite": sqlite3.sqlite_version, "platform": platform.platform()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                            if line.startswith("model name")), None)
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["ram_gib"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        import psycopg

        with psycopg.connect(dbname=PG["POSTGRES_DBNAME"], host=PG["POSTGRES_HOST"], user=PG["POSTGRES_USER"],
                             password="", connect_timeout=3) as conn:
            info["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001 - not every run has PostgreSQL
        info["postgres"] = None
    from importlib.metadata import PackageNotFoundError, version

    for package in ("eventsourcing", "gunicorn", "Flask", "psycopg"):
        try:
            info[package.lower()] = version(package)
        except PackageNotFoundError:
            info[package.lower()] = None
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each scenario")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients / library threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--warmup", type=float, default=1.0, help="untimed seconds of appends before timing")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="before each scenario, wait up to this many seconds for other processes on the "
                        "machine to go idle (0: do not wait)")
    args = parser.parse_args()

    def on_term(*_: object) -> None:
        raise Interrupted("SIGTERM")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (nohup, &)
    stop = threading.Event()
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    info = machine()
    print(f"machine: {json.dumps(info)}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tables, failed = [], False
    try:
        for store in stores:
            try:
                result = bench_store(store, args, stop)
            except (KeyboardInterrupt, Interrupted):
                raise
            except Exception as error:  # noqa: BLE001 - report and go on to the next store
                print(f"[{store}] FAILED: {error}", file=sys.stderr)
                failed = True
                continue
            result.update(machine=info, started=stamp, command=" ".join([Path(sys.argv[0]).name, *sys.argv[1:]]))
            out = RESULTS / f"append_{store}_{stamp}.json"
            out.write_text(json.dumps(result, indent=2, default=str))
            table = markdown(result)
            tables.append(table)
            print("\n" + table + f"\n\nraw results: {out.relative_to(ROOT)}\n", flush=True)
    except (KeyboardInterrupt, Interrupted):
        stop.set()
        print("interrupted; processes stopped and stores removed", file=sys.stderr)
        return 130
    if len(tables) > 1:
        print("\n\n".join(tables))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
