"""200 open notification streams beside plans and appends, on the default deployment, per store.

    .venv/bin/python bench/streams.py [--store sqlite|postgres|both] [--quick] [--seconds 20] [--clients 8]
                                      [--streams 200] [--near 0.2] [--quiet-wait 30]

The issue's bar: "with 200 streams open on the default deployment, plans and appends still succeed and their
p99 stays within 2x of no streams". For each store (SQLite: a temporary data directory; PostgreSQL: a throwaway
schema bench_<random>, dropped afterwards):

1. `pathways migrate`, then the default deployment through bench/harness.py: `gunicorn -c gunicorn.conf.py
   wsgi:app` with its default workers and threads (PATHWAYS_WORKERS and PATHWAYS_THREADS unset: 2 gthread
   workers x 256 threads) and `pathways worker`, on 127.0.0.1;
2. 8 agencies with 2 investigations each (and 2 more agencies that only listen); a few seconds of untimed load
   so that both workers are warm;
3. phase A, no streams: `--clients` threads, each with one keep-alive connection as one agency, loop for
   `--seconds`: plan an operation (POST /api/v1/operations) and log an action (POST .../actions), alternating
   between the agency's two investigations. A plan is placed uniformly over the continental US with a start
   up to a year ahead (so it is cleared), except that a share `--near` of them is put 50 m from a cleared plan
   of another agency, in the same window: one conflict each, notified to both agencies, a number that does not
   grow with the run;
4. the projection catches up; each agency's notifications cursor is read (GET /api/v1/notifications to its
   end), then `--streams` streams (GET /api/v1/notifications/stream?cursor=<that cursor>, as a client
   reconnecting with Last-Event-ID would) are opened round-robin over the 10 agencies, from raw sockets all
   read by one selector thread (HTTP/1.1, chunked). Each must answer 200 text/event-stream and send its
   `retry: 5000` frame; the bench counts their `conflict` events and `: keep-alive` comments, and how the
   connections sit on gunicorn's workers (/proc);
5. phase B: the same load as A with the streams open; then the projection catches up, the streams get 3 s to
   deliver, and each agency's notifications after the cursor are listed: every stream must have received
   exactly its agency's (`events received / expected`); a stream still open is one that neither ended nor
   failed;
6. the streams are closed and phase C runs the same load again without streams: if C is close to A, the B/A
   ratio is the streams' cost and not the ledger's growth or a neighbour's load.

Reported per store and phase: requests, non-2xx (connection failures count as status 0), p50/p99 of plans and
of appends, CPU seconds (server / database / client / other); the B/A p99 ratio (the goal: at most 2); the
streams' tallies; gunicorn/worker log lines that mention errors or timeouts. Prints markdown tables and writes
the raw results to bench/results/streams_<timestamp>.json. Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import queue
import random
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import METER, PG, VENV_BIN, Deployment, pg_exec, store_env  # noqa: E402
from bench.load import Client, percentile  # noqa: E402
from bench.report import machine  # noqa: E402
from coordination.config import Settings  # noqa: E402
from coordination.tokens import mint_dev_token  # noqa: E402
from domain.deconfliction import OPERATION_KINDS  # noqa: E402

RESULTS = ROOT / "bench" / "results"
STREAM = "/api/v1/notifications/stream"
LOAD_AGENCIES = ("HSI", "DEA", "FBI", "ATF", "CBP", "USMS", "NYPD", "LAPD")
QUIET_AGENCIES = ("HPD", "CPD")  # streams only: they get keep-alives, never an event
CASES_PER_AGENCY = 2
CONUS = ((24.5, 49.0), (-124.7, -67.0))
M_PER_DEG = 111_195.0
NEAR_M = 50.0
DEFAULT_WORKERS = 2  # gunicorn.conf.py: PATHWAYS_WORKERS defaults to 2 (and PATHWAYS_THREADS to 256)


class Interrupted(Exception):
    pass


# --------------------------------------------------------------------------------------------- the load


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
    barrier = threading.Barrier(len(clients) + 1)
    window: dict[str, float] = {}

    def client(index: int, agency: str, token: str, cases: list[str]) -> None:
        rng = random.Random(seed * 1000 + index)
        c = Client(port, token)
        mine: list[Sample] = []
        barrier.wait()
        n = 0
        while not stop.is_set() and time.perf_counter() < window["end"]:
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

    threads = [threading.Thread(target=client, args=(i, *spec), daemon=True) for i, spec in enumerate(clients)]
    for th in threads:
        th.start()
    cpu_before = METER.snapshot()
    start = time.perf_counter()
    window["end"] = start + seconds
    barrier.wait()
    try:
        for th in threads:
            while th.is_alive():
                th.join(0.2)
    except BaseException:
        stop.set()
        raise
    took = time.perf_counter() - start
    return {"samples": samples, "seconds": took, "cpu": METER.used(cpu_before, METER.snapshot(), took)}


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


# --------------------------------------------------------------------------------------------- the streams


@dataclass
class Stream:
    agency: str
    sock: socket.socket
    opened: float
    status: int | None = None
    content_type: str = ""
    chunked: bool = False
    raw: bytes = b""
    body: bytes = b""
    retry_at: float | None = None
    events: list[tuple[str, str]] = field(default_factory=list)  # (id, change) of each conflict event
    keepalives: int = 0
    ended: str | None = None  # why it stopped: "eof", "last chunk", an error

    def feed(self, data: bytes) -> None:
        self.raw += data
        if self.status is None:
            end = self.raw.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.raw = self.raw[:end].decode("latin-1"), self.raw[end + 4:]
            lines = head.split("\r\n")
            self.status = int(lines[0].split()[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            self.content_type = headers.get("content-type", "")
            self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if self.chunked:
            while True:
                eol = self.raw.find(b"\r\n")
                if eol < 0:
                    break
                size = int(self.raw[:eol].split(b";")[0] or b"0", 16)
                if len(self.raw) < eol + 2 + size + 2:
                    break
                self.body += self.raw[eol + 2:eol + 2 + size]
                self.raw = self.raw[eol + 2 + size + 2:]
                if size == 0:
                    self.ended = "last chunk"
                    break
        else:
            self.body, self.raw = self.body + self.raw, b""
        while b"\n\n" in self.body:
            frame, self.body = self.body.split(b"\n\n", 1)
            self._frame(frame.decode())

    def _frame(self, frame: str) -> None:
        if frame.startswith("retry:"):
            self.retry_at = self.retry_at or time.perf_counter()
        elif frame.startswith(":"):
            self.keepalives += 1
        elif frame.startswith("id:"):
            lines = dict(line.split(": ", 1) for line in frame.splitlines())
            data = json.loads(lines["data"])
            self.events.append((lines["id"], data.get("change", "")))

    @property
    def healthy(self) -> bool:
        return (self.ended is None and self.status == 200 and self.content_type.startswith("text/event-stream")
                and self.retry_at is not None)


class Streams:
    """All open streams, read by one selector thread (200 reader threads would cost the client 2 cores' worth)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.selector = selectors.DefaultSelector()
        self.streams: list[Stream] = []
        self.new: queue.SimpleQueue[Stream] = queue.SimpleQueue()  # registered by the reader thread only
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="stream-reader", daemon=True)
        self.thread.start()

    def open(self, agency: str, token: str, cursor: str | None) -> Stream:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        path = STREAM + (f"?cursor={quote(cursor)}" if cursor else "")
        stream = Stream(agency, sock, time.perf_counter())
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: Bearer {token}\r\n"
                      "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n").encode())
        sock.setblocking(False)
        self.streams.append(stream)
        self.new.put(stream)
        return stream

    def _loop(self) -> None:
        while not self.done.is_set():
            while not self.new.empty():
                stream = self.new.get()
                self.selector.register(stream.sock, selectors.EVENT_READ, stream)
            if not self.selector.get_map():
                time.sleep(0.02)
                continue
            for key, _ in self.selector.select(0.05):
                stream: Stream = key.data
                try:
                    data = stream.sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as error:
                    self._drop(stream, f"{type(error).__name__}: {error}")
                    continue
                if not data:
                    self._drop(stream, stream.ended or "eof")
                    continue
                try:
                    stream.feed(data)
                except Exception as error:  # noqa: BLE001 - a frame we cannot read is a failed stream
                    self._drop(stream, f"unreadable: {type(error).__name__}: {error}")
                    continue
                if stream.ended:
                    self._drop(stream, stream.ended)

    def _drop(self, stream: Stream, why: str) -> None:
        stream.ended = why
        self.selector.unregister(stream.sock)
        stream.sock.close()

    def close(self) -> None:
        self.done.set()
        self.thread.join(5)
        for stream in self.streams:
            try:
                stream.sock.close()
            except OSError:
                pass
        self.selector.close()


def connections_per_worker(master_pid: int, port: int) -> dict[str, int]:
    """Established connections to `port` held by each of gunicorn's workers (from /proc)."""
    inodes: dict[str, bool] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local_port = int(parts[1].rsplit(":", 1)[1], 16)
            if local_port == port and parts[3] == "01":  # ESTABLISHED
                inodes[parts[9]] = True
    counts: dict[str, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat[stat.rindex(")") + 2:].split()[1]) != master_pid:
                continue
            fds = os.listdir(f"/proc/{entry}/fd")
        except (OSError, ValueError):
            continue
        n = 0
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{entry}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                n += 1
        counts[entry] = n
    return counts


# --------------------------------------------------------------------------------------------- one store


def pg_commits() -> int:
    """Transactions committed in the bench's PostgreSQL database so far (pg_stat_database, flushed ~1 s late)."""
    import psycopg

    with psycopg.connect(dbname=PG["POSTGRES_DBNAME"], host=PG["POSTGRES_HOST"], port=int(PG["POSTGRES_PORT"]),
                         user=PG["POSTGRES_USER"], password=PG["POSTGRES_PASSWORD"], autocommit=True) as conn:
        return int(conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
                   .fetchone()[0])


def notifications_cursor(c: Client) -> tuple[str | None, int]:
    """The agency's cursor after its last notification, and how many it has."""
    cursor, seen = None, 0
    while True:
        page = c.json("GET", "/api/v1/notifications?limit=100" + (f"&cursor={quote(cursor)}" if cursor else ""))
        seen += len(page["items"])
        if not page["items"]:
            # An agency never told anything gets next_cursor "0.-1", which the cursor parameter refuses (422):
            # such a stream opens without one (the start, where there is nothing yet).
            return cursor, seen
        cursor = page["next_cursor"]


def notifications_after(c: Client, cursor: str | None) -> list[str]:
    ids, cur = [], cursor
    while True:
        page = c.json("GET", "/api/v1/notifications?limit=100" + (f"&cursor={quote(cur)}" if cur else ""))
        if not page["items"]:
            return ids
        ids += [item["cursor"] for item in page["items"]]
        cur = page["next_cursor"]


def bench_store(store: str, args: argparse.Namespace, stop: threading.Event) -> dict[str, Any]:
    secret = secrets.token_urlsafe(24)
    schema = f"bench_{secrets.token_hex(4)}" if store == "postgres" else None
    tmp = Path(tempfile.mkdtemp(prefix=f"pathways-bench-streams-{store}-"))
    result: dict[str, Any] = {"store": store, "clients": args.clients, "seconds": args.seconds,
                              "streams": args.streams, "stream_agencies": args.stream_agencies,
                              "near_share": args.near, "loadavg_before": os.getloadavg(),
                              "phases": {}}
    deployment: Deployment | None = None
    streams: Streams | None = None
    try:
        env = store_env(store, tmp / "api", schema, secret)
        for key in ("PATHWAYS_WORKERS", "PATHWAYS_THREADS"):
            env.pop(key, None)  # the default deployment (gunicorn.conf.py's defaults)
        settings = Settings.from_env(env)
        print(f"[{store}] migrate", flush=True)
        migrate = subprocess.run([str(VENV_BIN / "pathways"), "migrate"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=120)
        if migrate.returncode != 0:
            raise RuntimeError(f"pathways migrate failed ({migrate.returncode}):\n{migrate.stdout}{migrate.stderr}")
        workers = DEFAULT_WORKERS
        deployment = Deployment(env, tmp / "run", workers)  # sets PATHWAYS_WORKERS (to the default); threads unset
        deployment.env.pop("PATHWAYS_THREADS", None)
        print(f"[{store}] gunicorn (gunicorn.conf.py defaults: {workers} gthread workers x 256 threads) on port "
              f"{deployment.port} and the worker", flush=True)
        deployment.start()
        result["workers"] = workers

        tokens = {a: mint_dev_token(settings.auth, sub=f"bench-{a.lower()}", agency=a, roles=["agent"],
                                    name=f"Bench {a}", ttl_seconds=3600)
                  for a in LOAD_AGENCIES + QUIET_AGENCIES}
        cases: dict[str, list[str]] = {}
        for agency in LOAD_AGENCIES:
            c = Client(deployment.port, tokens[agency])
            cases[agency] = [c.json("POST", "/api/v1/investigations",
                                    {"title": f"Streams bench {agency} {i}", "threat_domain": "drug_trafficking"},
                                    expect=201)["id"] for i in range(CASES_PER_AGENCY)]
            c.close()
        clients = [(LOAD_AGENCIES[i % len(LOAD_AGENCIES)], tokens[LOAD_AGENCIES[i % len(LOAD_AGENCIES)]],
                    cases[LOAD_AGENCIES[i % len(LOAD_AGENCIES)]]) for i in range(args.clients)]
        places = Places(args.near, seed=1)

        def phase(name: str, seed: int, open_streams: int) -> dict[str, Any]:
            if args.quiet_wait > 0:
                seen = METER.wait_for_quiet(args.quiet_wait)
                if not seen["quiet"]:
                    print(f"[{store}] machine still busy ({seen['other_cores']} cores of others); measuring anyway",
                          flush=True)
            else:
                seen = None
            load_before = os.getloadavg()
            print(f"[{store}] phase {name}: {args.clients} clients for {args.seconds:g} s, "
                  f"{open_streams} streams open", flush=True)
            commits = pg_commits() if store == "postgres" else None
            run = run_load(deployment.port, clients, args.seconds, places, stop, seed)
            summary = summarize(run, open_streams)
            if commits is not None:  # the whole database's: other users of `test` count too
                summary["pg_commits_per_s"] = round((pg_commits() - commits) / run["seconds"])
            summary.update(quiet=seen, loadavg_before=load_before)
            print(f"[{store}]   plans {summary['plan']['requests']} (non-2xx {summary['plan']['non_2xx']}, p50 "
                  f"{summary['plan']['p50_ms']} p99 {summary['plan']['p99_ms']} ms), appends "
                  f"{summary['append']['requests']} (non-2xx {summary['append']['non_2xx']}, p50 "
                  f"{summary['append']['p50_ms']} p99 {summary['append']['p99_ms']} ms)", flush=True)
            return summary

        print(f"[{store}] warm-up {args.warmup:g} s", flush=True)
        run_load(deployment.port, clients, args.warmup, places, stop, seed=99)
        deployment.wait_caught_up()

        result["phases"]["A"] = phase("A (no streams)", 1, 0)
        result["catch_up_after_A_s"] = deployment.wait_caught_up()

        # Open the streams where each agency's notifications now end (as a client resuming with Last-Event-ID).
        cursors: dict[str, str | None] = {}
        for agency, token in tokens.items():
            c = Client(deployment.port, token)
            cursors[agency], _ = notifications_cursor(c)
            c.close()
        streams = Streams(deployment.port)
        agencies = list(QUIET_AGENCIES) if args.stream_agencies == "quiet" else list(tokens)
        t_open = time.perf_counter()
        for i in range(args.streams):
            agency = agencies[i % len(agencies)]
            streams.open(agency, tokens[agency], cursors[agency])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(s.retry_at or s.ended for s in streams.streams):
            time.sleep(0.05)
        opened = [s for s in streams.streams if s.healthy]
        waits = sorted(s.retry_at - s.opened for s in streams.streams if s.retry_at)
        result["streams_opened"] = {
            "asked": args.streams, "retry_frame_200_event_stream": len(opened),
            "all_within_s": round(time.perf_counter() - t_open, 2),
            "first_frame_p50_ms": round(1000 * percentile(waits, 0.5), 1) if waits else None,
            "first_frame_max_ms": round(1000 * waits[-1], 1) if waits else None,
            "statuses": dict(Counter(s.status for s in streams.streams)),
            "failures": [f"{s.agency}: {s.status} {s.ended}" for s in streams.streams if not s.healthy][:10],
            "per_worker_connections": connections_per_worker(deployment.procs["gunicorn"].pid, deployment.port),
        }
        print(f"[{store}] streams: {json.dumps(result['streams_opened'])}", flush=True)
        time.sleep(1.0)

        result["phases"]["B"] = phase("B (streams open)", 2, sum(s.healthy for s in streams.streams))
        result["catch_up_after_B_s"] = deployment.wait_caught_up()
        time.sleep(3.0)  # the bell polls every 0.5 s; then each woken stream reads its page
        expected: dict[str, list[str]] = {}
        for agency, token in tokens.items():
            c = Client(deployment.port, token)
            expected[agency] = notifications_after(c, cursors[agency])
            c.close()
        per_stream = []
        for s in streams.streams:
            got = [event_id for event_id, _ in s.events]
            per_stream.append({"agency": s.agency, "healthy": s.healthy, "ended": s.ended,
                               "events": len(got), "expected": len(expected[s.agency]),
                               "exact": got == expected[s.agency], "keepalives": s.keepalives})
        result["streams_end"] = {
            "open_at_end": sum(p["healthy"] for p in per_stream),
            "ended": dict(Counter(p["ended"] for p in per_stream if p["ended"])),
            "events_received": sum(p["events"] for p in per_stream),
            "events_expected": sum(p["expected"] for p in per_stream),
            "streams_exact": sum(p["exact"] for p in per_stream),
            "keepalives": sum(p["keepalives"] for p in per_stream),
            "notifications_by_agency": {a: len(v) for a, v in expected.items()},
            "changes": dict(Counter(change for s in streams.streams for _, change in s.events)),
            "per_worker_connections": connections_per_worker(deployment.procs["gunicorn"].pid, deployment.port),
        }
        print(f"[{store}] streams at the end: {json.dumps(result['streams_end'])}", flush=True)
        streams.close()
        streams = None
        time.sleep(1.0)

        if not args.no_after:
            result["phases"]["C"] = phase("C (streams closed)", 3, 0)
        result["catch_up_after_C_s"] = deployment.wait_caught_up()
        result["server_log_problems"] = deployment.problems()[:50]
        result["server_log_tail"] = deployment.tail("gunicorn", 30).splitlines()
        result["exit_codes"] = deployment.stop()
        deployment = None
        result["loadavg_after"] = os.getloadavg()
        return result
    finally:
        if streams is not None:
            streams.close()
        if deployment is not None:
            print(f"[{store}] stopped gunicorn and the worker {deployment.stop()}", file=sys.stderr)
        if schema:
            for name in (schema, f"{schema}_audit"):
                try:
                    pg_exec(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
                except Exception as error:  # noqa: BLE001 - say so, keep cleaning
                    print(f"[{store}] could not drop schema {name}: {error}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------- the report


def _v(x: Any) -> str:
    return "-" if x is None else f"{x:,}" if isinstance(x, int) else f"{x:,.1f}" if isinstance(x, float) else str(x)


def markdown(results: list[dict[str, Any]]) -> str:
    rows = ["| store | phase | streams open | plans | non-2xx | plan p50 ms | plan p99 ms | appends | non-2xx | "
            "append p50 ms | append p99 ms | CPU s: server / db / client / other | PostgreSQL commits/s |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    names = {"A": "A: no streams", "B": "B: streams open", "C": "C: streams closed again"}
    for r in results:
        for key, p in r["phases"].items():
            c = p["cpu"]
            rows.append(f"| {r['store']} | {names[key]} | {p['streams_open']} | {_v(p['plan']['requests'])} | "
                        f"{p['plan']['non_2xx']} | {_v(p['plan']['p50_ms'])} | {_v(p['plan']['p99_ms'])} | "
                        f"{_v(p['append']['requests'])} | {p['append']['non_2xx']} | {_v(p['append']['p50_ms'])} | "
                        f"{_v(p['append']['p99_ms'])} | {c['server']:.1f} / {c['database']:.1f} / "
                        f"{c['client']:.1f} / {c['other']:.1f} of {c['capacity_cpu_seconds']:.0f} | "
                        f"{_v(p.get('pg_commits_per_s'))} |")
    rows += ["", "| store | plan p99 B/A | append p99 B/A | goal (both ≤ 2, 0 non-2xx) | streams with `retry:` "
             "(200, text/event-stream) | open at the end | events received / expected | streams exact | "
             "conflicts named by B's plans | keep-alives | connections per worker (at the end) | "
             "server log problems |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in results:
        a, b = r["phases"]["A"], r["phases"]["B"]
        rp = ratio(b["plan"]["p99_ms"], a["plan"]["p99_ms"])
        ra = ratio(b["append"]["p99_ms"], a["append"]["p99_ms"])
        non2xx = sum(p[op]["non_2xx"] for p in r["phases"].values() for op in ("plan", "append"))
        met = rp is not None and ra is not None and rp <= 2 and ra <= 2 and non2xx == 0
        o, e = r["streams_opened"], r["streams_end"]
        rows.append(f"| {r['store']} | {_v(rp)} | {_v(ra)} | {'met' if met else 'NOT met'} | "
                    f"{o['retry_frame_200_event_stream']} / {o['asked']} | {e['open_at_end']} | "
                    f"{e['events_received']:,} / {e['events_expected']:,} | {e['streams_exact']} | "
                    f"{b['plan']['conflicts_named']:,} | {e['keepalives']:,} | "
                    f"{' + '.join(str(v) for v in e['per_worker_connections'].values())} | "
                    f"{len(r['server_log_problems'])} |")
    return "\n".join(rows)


def ratio(b: float | None, a: float | None) -> float | None:
    return round(b / a, 2) if a and b is not None else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="8 s phases, 2 s warm-up, short quiet waits")
    parser.add_argument("--seconds", type=float, default=None, help="length of each phase (default 20, quick 8)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--near", type=float, default=0.2, help="share of plans put next to another agency's")
    parser.add_argument("--warmup", type=float, default=None, help="untimed load first (default 4 s, quick 2)")
    parser.add_argument("--quiet-wait", type=float, default=None,
                        help="before each phase, wait up to this long for the machine to go idle (default 30, "
                        "quick 5; 0: do not wait)")
    parser.add_argument("--stream-agencies", choices=("all", "quiet"), default="all",
                        help="all: streams round-robin over the 10 agencies; quiet (a diagnostic): only over the 2 "
                        "agencies never told anything, so no stream is ever woken")
    parser.add_argument("--no-after", action="store_true", help="skip phase C (the load again without streams)")
    args = parser.parse_args()
    args.seconds = args.seconds or (8.0 if args.quick else 20.0)
    args.warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 4.0)
    args.quiet_wait = args.quiet_wait if args.quiet_wait is not None else (5.0 if args.quick else 30.0)

    def on_term(*_: object) -> None:
        raise Interrupted("SIGTERM")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    stop = threading.Event()
    info = machine()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                    capture_output=True, text=True).stdout.strip())
    except OSError:
        commit, dirty = "", False
    info["commit"] = commit + (" (uncommitted changes)" if dirty else "")
    print(f"machine: {json.dumps(info)}", flush=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results, failed = [], False
    try:
        for store in (["sqlite", "postgres"] if args.store == "both" else [args.store]):
            try:
                results.append(bench_store(store, args, stop))
            except (KeyboardInterrupt, Interrupted):
                raise
            except Exception as error:  # noqa: BLE001 - report and go on to the next store
                print(f"[{store}] FAILED: {type(error).__name__}: {error}", file=sys.stderr)
                failed = True
    except (KeyboardInterrupt, Interrupted):
        stop.set()
        print("interrupted; processes stopped and stores removed", file=sys.stderr)
        return 130
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"streams_{stamp}.json"
    out.write_text(json.dumps({"machine": info, "started": stamp, "command": " ".join(sys.argv),
                               "results": results}, indent=2, default=str))
    if results:
        print("\n" + markdown(results))
        for r in results:
            if r["server_log_problems"]:
                print(f"\n{r['store']}: {len(r['server_log_problems'])} server log lines mention errors, e.g.:")
                print("\n".join(f"    {line}" for line in r["server_log_problems"][:5]))
    print(f"\nraw results: {out.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
