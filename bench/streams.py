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
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    METER,
    PG,
    VENV_BIN,
    Deployment,
    connections_per_worker,
    pg_exec,
    store_env,
)
from bench.load import Client, percentile  # noqa: E402
from bench.report import machine  # noqa: E402
from bench.stream_clients import Streams  # noqa: E402
from bench.stream_load import Interrupted, Places, run_load, summarize  # noqa: E402
from coordination.config import Settings  # noqa: E402
from coordination.tokens import mint_dev_token  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LOAD_AGENCIES = ("HSI", "DEA", "FBI", "ATF", "CBP", "USMS", "NYPD", "LAPD")
QUIET_AGENCIES = ("HPD", "CPD")  # streams only: they get keep-alives, never an event
CASES_PER_AGENCY = 2
DEFAULT_WORKERS = 2  # gunicorn.conf.py: PATHWAYS_WORKERS defaults to 2 (and PATHWAYS_THREADS to 256)


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
                    f"{' + '.join(str(v) for v in e['per_worker_connections'])} | "
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
