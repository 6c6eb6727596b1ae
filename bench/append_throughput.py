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
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline import run_library  # noqa: E402
from bench.harness import METER, VENV_BIN, Deployment, pg_exec, store_env  # noqa: E402
from bench.load import Client, run_http_scenario, verify_appends  # noqa: E402
from bench.report import machine, markdown  # noqa: E402
from coordination.config import Settings  # noqa: E402
from coordination.tokens import mint_dev_token  # noqa: E402

RESULTS = ROOT / "bench" / "results"


class Interrupted(Exception):
    """SIGTERM arrived; unwind through the finally blocks like Ctrl-C does."""


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
            pg_exec(f'CREATE SCHEMA "{lib_schema}"')
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
                pg_exec(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                pg_exec(f'DROP SCHEMA IF EXISTS "{schema}_audit" CASCADE')
            except Exception as error:  # noqa: BLE001 - say so, keep cleaning
                print(f"[{store}] could not drop schema {schema}: {error}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


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
