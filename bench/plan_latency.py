"""Planning an operation (POST /api/v1/operations) through real gunicorn, 16 planners, a store of 100k plans.

    .venv/bin/python bench/plan_latency.py [--store sqlite|postgres|both] [--quick] [--planners 16]
                                          [--seconds 30] [--warmup 5] [--profile auto|always|never]
                                          [--think 0,1] [--density steady|dense] [--keep-store DIR]

The issue's goal: "POST /api/v1/operations through real gunicorn with 16 concurrent planners: p99 under 25 ms at
100k (SQLite) and under 50 ms (PostgreSQL)", with 100k active operations and 1M registered identifiers in the
store. For each store (SQLite: a temporary data directory; PostgreSQL: a throwaway schema bench_<random> and its
_audit schema, both dropped afterwards), on a fresh store:

1. `bootstrap.migrate`, then the deployment's NaturalKeys (`services.operations.runner.keys()`, which establishes
   the deployment record on the empty ledger, as the first request would) and its digest key
   (PATHWAYS_DECONFLICTION_KEY is not set: `NaturalKeys.matching`);
2. the fill, straight into the ledger with `ledger.save` (no HTTP, no Operation aggregates), in batches of
   ~10,000 events, progress printed:
   - N active operations' AreaIndex entries (as `Deconfliction.entry_of` writes them: `footprint` + ref + role),
     placed as bench/workload.py places them (its `plan`, `fill_ledger`): 70 % around 20 US metros
     (gaussian, sigma 15 km), 30 % uniform over the CONUS box, starts uniform over the next N/500 days
     (`--density steady`, the default; `dense`: 30 days), windows of 2-6 h, kinds mixed, half the mobile ones
     with a route; what each one's check writes (`AreaIndex.keep`: Entered where its entry is kept, Checked
     elsewhere in its ring), each record snapshotted at its version when a save passes its interval, as the live
     path does. Every cell an operation is indexed under also gets its (cell, "targets") record (Started only, no
     registered address): the live path creates it with the first plan in that cell;
   - M registered identifiers: one TargetIndex record each (`keys.target(identifier_digest(key, ...))`) holding
     one registration entry (`domain.targets.registration`), half phones (+1 and ten digits, E.164 as
     `normalise_identifier` gives it) and half emails, of made-up people (two identifiers each, five people per
     made-up investigation, registered within the last 23 months);
   PostgreSQL's tables are then VACUUM ANALYZEd, SQLite's WAL checkpointed;
3. the default deployment through bench/harness.py: `gunicorn -c gunicorn.conf.py wsgi:app` with its defaults
   (2 gthread workers x 256 threads) and `pathways worker`, which first folds the whole fill (waited for);
4. via HTTP, per planner agency (16): one investigation, 4 subjects (a phone and an email each; the first
   subject's phone is one of the M registered, so its answer must name one identifier match: the check that the
   fill used the deployment's keys);
5. the measured phases, once no other bench runs (`pgrep -f "bench/(deconfliction_query|streams).py"` polled every
   10 s, up to 20 min) and the machine is quiet (bench/harness.py's wait_for_quiet, up to 60 s, before each): 16
   planner threads, one keep-alive http.client connection each, POST plans for `--warmup` (untimed) then
   `--seconds` s, one phase per `--think` value: 0, without pause (the planners saturate the machine, so the
   latency is mostly queueing: 16 requests in flight on 2 cores), then with a random pause of that many seconds
   on average between one planner's plans (exponential: people planning, arriving at random). A plan is drawn
   from the same distribution as the fill (its times from the moment it is sent):
   most are cleared, some conflict with filled operations or each other (the share is reported); 30 % name one
   or two of their case's subjects (E3: their TargetIndex records are loaded and written too);
6. per store and phase: requests, non-201 (must be 0: a 503 is a race retried for 10 s and lost), p50/p95/p99/max
   of the 201s, plans/s, CPU seconds (server, of which the projection worker / database / client / other) and
   per plan, the goal met or not; whether
   another bench ran during the phase (pgrep every 2 s);
7. if the goal is missed in the first phase (`--profile auto`; py-spy comes with the `bench` extra), py-spy
   samples both gunicorn workers (on-CPU stacks, 100 Hz) for
   `--profile-seconds` of the same load after the measured phase, and the samples are split by what the request
   was doing (loading index records, Conflict look-ups, the save, audit, ...) and by what the leaf was
   (database I/O, event decoding, deepcopy from the cache, JSON, ...).

Prints a markdown table; writes the raw results to bench/results/plan_latency_<timestamp>.json (git-ignored).
Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    METER,
    OTHER_BENCHES,
    Deployment,
    Watch,
    connections_per_worker,
    pg_exec,
    store_env,
    wait_for_other_benches,
)
from bench.load import Client  # noqa: E402
from bench.plan_fill import FIRST, LAST, fill_store, identifier, index_of, operation_entries  # noqa: E402
from bench.planners import run_planners, summarize  # noqa: E402
from bench.profiling import profile_markdown, profile_workers, split_profile  # noqa: E402
from bench.report import machine  # noqa: E402
from bench.workload import (  # noqa: E402
    Placed,
    horizon_of,
)
from coordination.config import Settings  # noqa: E402
from coordination.tokens import mint_dev_token  # noqa: E402
from domain.identifiers import normalise_identifier  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PLANNER_AGENCIES = ("HSI", "DEA", "FBI", "ATF", "USMS", "CBP", "LAPD", "NYPD", "HPD", "CPD", "MDPD", "DPD", "PPD",
                    "SFPD", "BPD", "APD")
SUBJECTS_PER_CASE = 4
STORE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
DEFAULT_WORKERS = 2  # gunicorn.conf.py: PATHWAYS_WORKERS defaults to 2, PATHWAYS_THREADS to 256


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)



# What the request was doing: the outermost of these frames in a sample's stack (checked in this order).
# --------------------------------------------------------------------------------------------- one store


def setup_cases(port: int, settings: Settings, planners: int, registered: int) -> tuple[list[tuple[str, str,
                                                                                            list[str]]], int]:
    """One investigation per planner agency, SUBJECTS_PER_CASE subjects each (the first's phone registered
    already); returns the planners (token, case, subject ids) and how many identifier matches were answered."""
    specs, matches = [], 0
    for i in range(planners):
        agency = PLANNER_AGENCIES[i % len(PLANNER_AGENCIES)]
        if i >= len(PLANNER_AGENCIES):
            agency = f"{agency}-P{i}"
        token = mint_dev_token(settings.auth, sub=f"planner-{i}", agency=agency, roles=["agent"],
                               name=f"Planner {i}", ttl_seconds=3600)
        c = Client(port, token)
        case = c.json("POST", "/api/v1/investigations",
                      {"title": f"Plan latency bench {agency}", "threat_domain": "drug_trafficking"}, expect=201)["id"]
        subjects = []
        for s in range(SUBJECTS_PER_CASE):
            fresh = registered + 2 * (i * SUBJECTS_PER_CASE + s) + 2  # beyond the filled ones: not registered
            phone = identifier(2 * ((i * 7919) % max(1, registered // 2)) if s == 0 else fresh)
            email = identifier(fresh + 1)
            for ident in (phone, email):
                assert normalise_identifier(ident["type"], ident["value"]) == ident, ident
            answer = c.json("POST", f"/api/v1/investigations/{case}/subjects", {
                "kind": "person",
                "name": f"{FIRST[(i + s) % len(FIRST)].title()} {LAST[(3 * i + s) % len(LAST)].title()}",
                "role": "logistics",
                "identifiers": [{"type": t["type"], "value": t["value"]} for t in (phone, email)]}, expect=201)
            subjects.append(answer["subject_id"])
            matches += sum(1 for x in answer["deconfliction"]["conflicts"] if x.get("severity") == "medium")
        c.close()
        specs.append((token, case, subjects))
    return specs, matches


def measure_phase(store: str, args: argparse.Namespace, deployment: Deployment,
                  planners: list[tuple[str, str, list[str]]], think: float) -> dict[str, Any]:
    """One load phase on the filled deployment: warm-up, then the measured seconds; its figures."""
    result: dict[str, Any] = {"think": think, "quiet": METER.wait_for_quiet(60), "loadavg_before": os.getloadavg()}
    say(f"[{store}] {args.planners} planners (mean pause {think:g} s): {args.warmup:g} s warm-up, then "
        f"{args.seconds:g} s measured")
    with Watch() as watch:
        run = run_planners(deployment.port, planners, args.warmup + args.seconds, threading.Event(), seed=args.draw,
                           horizon=args.horizon, think=think)
        result["connections_per_worker"] = connections_per_worker(deployment.procs["gunicorn"].pid, deployment.port)
    result["others_during"] = sorted(watch.seen)
    measured_from = run["start"] + args.warmup
    measured = [s for s in run["samples"] if s.sent >= measured_from]
    warm = [s for s in run["samples"] if s.sent < measured_from]
    result["measured"] = m = summarize(measured, run["seconds"] - args.warmup, run["cpu"], store)
    if run["cpu"] and run["seconds"]:
        share = (run["seconds"] - args.warmup) / run["seconds"]
        m["cpu"] = {k: round(v * share, 2) for k, v in run["cpu"].items()}
        m["cpu"]["note"] = "whole run scaled to the measured window"
        if m["created_201"]:
            m["cpu_ms_per_plan"] = {k: round(1000 * m["cpu"][k] / m["created_201"], 2)
                                    for k in ("server", "worker", "database", "client") if k in m["cpu"]}
    result["warmup"] = {"requests": len(warm), "non_201": sum(1 for s in warm if s.status != 201)}
    result["loadavg_after"] = os.getloadavg()
    say(f"[{store}] {m['requests']} plans, non-201 {m['non_201']}, p50 {m['p50_ms']} p95 {m['p95_ms']} "
        f"p99 {m['p99_ms']} max {m['max_ms']} ms, {m['rate']}/s; goal {'met' if m['goal_met'] else 'MISSED'}")
    say(f"[{store}] tail (n, p50, p99 ms): " + "; ".join(
        f"{name.replace('_', ' ')} {t['n']}, {t['p50_ms']}, {t['p99_ms']}" for name, t in m["tail"].items()))
    return result


def bench_store(store: str, args: argparse.Namespace, by_key: Placed,
                stop: threading.Event) -> dict[str, Any]:
    secret = secrets.token_urlsafe(24)
    schema = f"bench_{secrets.token_hex(4)}" if store == "postgres" else None
    kept = args.keep_store is not None and store == "sqlite"
    tmp = args.keep_store if kept else Path(tempfile.mkdtemp(prefix=f"pathways-bench-plan-{store}-"))
    result: dict[str, Any] = {"store": store, "operations": args.operations, "identifiers": args.identifiers,
                              "planners": args.planners, "seconds": args.seconds, "warmup": args.warmup,
                              "schema": schema, "reused_store": kept and (tmp / "api" / "ledger.db").exists()}
    deployment: Deployment | None = None
    try:
        env = store_env(store, tmp / "api", schema, secret)
        # A reused store holds the plans of earlier runs: the same draws would plan twins of them, every one a
        # conflict, so its runs draw afresh.
        args.draw = secrets.randbits(30) if result["reused_store"] else 1
        if result["reused_store"]:
            env["PATHWAYS_AUTH_DEV_SECRET"] = (tmp / "secret").read_text()
            say(f"[{store}] reusing the store filled before in {tmp} (figures for the record come from a fresh fill)")
        else:
            (tmp / "secret").parent.mkdir(parents=True, exist_ok=True)
            (tmp / "secret").write_text(secret)
        settings = Settings.from_env(env)
        if not result["reused_store"]:
            fill(store, settings, by_key, args.identifiers, result)

        deployment = Deployment(env, tmp / "run", DEFAULT_WORKERS)
        deployment.env.pop("PATHWAYS_THREADS", None)
        say(f"[{store}] gunicorn (gunicorn.conf.py defaults: {DEFAULT_WORKERS} gthread workers x 256 threads) on "
            f"port {deployment.port} and the worker")
        deployment.start(ready_timeout=180)
        t0 = time.perf_counter()
        caught = deployment.wait_caught_up(timeout=3600)
        result["worker_fold_seconds"] = round(time.perf_counter() - t0, 1) if caught is not None else None
        say(f"[{store}] the worker folded the fill in {result['worker_fold_seconds']} s")

        planners, matches = setup_cases(deployment.port, settings, args.planners, args.identifiers)
        result["setup_identifier_matches"] = matches
        say(f"[{store}] {len(planners)} investigations with {SUBJECTS_PER_CASE} subjects each; identifier matches "
            f"on the registered phones: {matches} (expected {len(planners)})")
        deployment.wait_caught_up(timeout=600)

        say(f"[{store}] waiting until no other bench runs ({OTHER_BENCHES})")
        result["waited_for_others"] = wait_for_other_benches(args.wait_others)
        result["phases"] = [measure_phase(store, args, deployment, planners, think) for think in args.think]
        result.update(result["phases"][0])  # the first phase's figures decide whether to profile
        m = result["measured"]

        if args.profile == "always" or (args.profile == "auto" and not m["goal_met"]):
            say(f"[{store}] profiling the workers with py-spy for {args.profile_seconds:g} s of the same load")
            holder: dict[str, Any] = {}

            def load() -> None:
                holder["run"] = run_planners(deployment.port, planners, args.profile_seconds + 4, stop,
                                             seed=args.draw + 1, horizon=args.horizon, think=args.think[0])

            loader = threading.Thread(target=load, daemon=True)
            loader.start()
            time.sleep(2)
            raw = profile_workers(deployment.procs["gunicorn"].pid, args.profile_seconds,
                                  RESULTS / f"plan_latency_{store}_{stamp()}.pyspy.txt")
            loader.join()
            if raw is not None:
                result["profile"] = split_profile(raw)
                result["profile"]["raw"] = str(raw)
                prun = holder.get("run")
                if prun:
                    result["profile"]["load"] = summarize(prun["samples"], prun["seconds"], prun["cpu"], store)

        result["catch_up_seconds"] = deployment.wait_caught_up(timeout=600)
        result["server_log_problems"] = deployment.problems()[:30]
        result["exit_codes"] = deployment.stop()
        deployment = None
        return result
    finally:
        if deployment is not None:
            deployment.stop()
        if not kept:
            shutil.rmtree(tmp, ignore_errors=True)
        if schema is not None:
            for name in (schema, f"{schema}_audit"):
                pg_exec(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def fill(store: str, settings: Settings, by_key: Placed, identifiers: int, result: dict[str, Any]) -> None:
    say(f"[{store}] migrate and fill: {result['operations']:,} operations ({len(by_key):,} AreaIndex records), "
        f"{identifiers:,} identifiers")
    fill_store(store, settings, by_key, identifiers, result)
    say(f"[{store}] filled: {result['area_events'] + result['target_events']:,} events in "
        f"{result['area_fill_seconds'] + result['target_fill_seconds']:.0f} s, store "
        f"{result['store_bytes'] / 2**30:.2f} GiB")


# --------------------------------------------------------------------------------------------- report


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| store | operations / identifiers | mean pause | requests | non-201 | p50 ms | p95 ms | p99 ms | max ms | "
        "plans/s | cleared / with conflicts | goal (p99) | CPU ms per plan: server (of which the projection "
        "worker) / db / client | CPU s: server / "
        "db / client / other |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r, phase in ((result, phase) for result in results for phase in result["phases"]):
        m = phase["measured"]
        c = m.get("cpu") or {}
        per = m.get("cpu_ms_per_plan") or {}
        non = f"{m['non_201']}" + (f" ({', '.join(f'{k}: {v}' for k, v in m['statuses'].items() if k != 201)})"
                                   if m["non_201"] else "")
        lines.append(
            f"| {STORE_NAMES[r['store']]} | {r['operations']:,} / {r['identifiers']:,} | "
            f"{phase['think']:g} s | {m['requests']:,} | {non} | "
            f"{m['p50_ms']} | {m['p95_ms']} | **{m['p99_ms']}** | {m['max_ms']} | {m['rate']} | "
            f"{m['cleared']:,} / {m['with_conflicts']:,} | < {m['goal_ms']:g} ms: "
            f"**{'met' if m['goal_met'] else 'missed'}** | "
            f"{per.get('server', '-')} ({per.get('worker', '-')}) / {per.get('database', '-')} / "
            f"{per.get('client', '-')} | "
            f"{c.get('server', 0):.1f} / {c.get('database', 0):.1f} / {c.get('client', 0):.1f} / "
            f"{c.get('other', 0):.1f} of {c.get('capacity_cpu_seconds', 0):.0f} |")
    lines.append("")
    for r in results:
        others = r["others_during"]
        waited = r["waited_for_others"]
        filled = ("the store of an earlier run, REUSED (--keep-store)" if r.get("reused_store") else
                  f"fill {r['area_records']:,} AreaIndex records / {r['area_events']:,} events "
                  f"in {r['area_fill_seconds']:.0f} s, {r['target_records']:,} TargetIndex records / "
                  f"{r['target_events']:,} events in {r['target_fill_seconds']:.0f} s, store "
                  f"{r['store_bytes'] / 2**30:.2f} GiB")
        lines.append(
            f"{STORE_NAMES[r['store']]}: {filled}; the worker folded it in {r['worker_fold_seconds']} s; "
            f"connections per worker {r.get('connections_per_worker')}; waited {waited['waited_seconds']:.0f} s for "
            f"other benches ({'none ran' if not waited['seen'] else ', '.join(waited['seen'])}); during the "
            f"measured phase: {'no other bench' if not others else 'ALSO RUNNING: ' + ', '.join(others)}; "
            f"warm-up {r['warmup']['requests']} plans ({r['warmup']['non_201']} non-201); identifier matches at "
            f"setup {r['setup_identifier_matches']} of {r['planners']}; server log lines with errors: "
            f"{len(r['server_log_problems'])}.")
    for r in results:
        if r.get("profile"):
            lines += ["", profile_markdown(r["store"], r["profile"])]
    return "\n".join(lines)


def _commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "api", "domain", "coordination", "projections",
                                "bench/plan_latency.py", "bench/deconfliction_query.py"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return f"{sha}{' (with uncommitted changes: ' + ' '.join(dirty.split()) + ')' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="10k operations, 100k identifiers")
    parser.add_argument("--operations", type=int, default=None, help="default 100,000 (quick: 10,000)")
    parser.add_argument("--identifiers", type=int, default=None, help="default 1,000,000 (quick: 100,000)")
    parser.add_argument("--planners", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--wait-others", type=float, default=1200.0,
                        help="wait at most this long for other benches to end before measuring")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="py-spy on the workers after the measured phase (auto: if the goal is missed)")
    parser.add_argument("--profile-seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--density", choices=("steady", "dense"), default="steady",
                        help="steady: 500 operations start a day (N/500 days ahead); dense: all within 30 days")
    parser.add_argument("--think", default="0,1",
                        help="mean pause of a planner between plans, seconds, one load phase per value "
                             "(0: none, the planners saturate the machine)")
    parser.add_argument("--keep-store", type=Path, default=None,
                        help="SQLite only, for trying changes: fill this directory once and reuse it in later runs "
                             "(its operations' days are those of the first run)")
    args = parser.parse_args()
    args.operations = args.operations or (10_000 if args.quick else 100_000)
    args.identifiers = args.identifiers or (100_000 if args.quick else 1_000_000)
    args.horizon = horizon_of(args.operations, args.density)
    args.think = [float(t) for t in args.think.split(",")]
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)

    started = time.perf_counter()
    info = machine()
    say(f"machine: nproc {info['nproc']}, Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL "
        f"{info['postgres']}, load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}; commit {_commit()}")
    t0 = time.perf_counter()
    base = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=10)
    by_key = index_of(operation_entries(args.seed, args.operations, base, args.horizon))
    say(f"{args.operations:,} operations indexed under {len(by_key):,} records in {time.perf_counter() - t0:.0f} s")
    stop = threading.Event()
    results = []
    for store in stores:
        results.append(bench_store(store, args, by_key, stop))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"plan_latency_{stamp()}.json"
    out.write_text(json.dumps({"machine": info, "commit": _commit(), "args": vars(args), "results": results},
                              indent=2, default=str))
    print(markdown(results))
    say(f"whole run {time.perf_counter() - started:.0f} s; raw results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
