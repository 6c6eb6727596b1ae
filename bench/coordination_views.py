"""The coordination group's views over 100k operations, and how fast the projection runner catches up (issue 12).

For each store (SQLite: a temporary data directory; PostgreSQL: a throwaway schema bench_<random> and its _audit
schema, both dropped afterwards), on a fresh store:

1. migrate (every read model empty, at position 0), then fill the ledger with `--operations` operations over
   ~200 days and everything around them (bench/views_fill.py): investigations, resources, resource requests and
   their answers, conflicts, lifecycles with results, deconfliction index records. About 10 events per operation.
2. Catch-up, in one process: the library's raw decoded read rate (every notification selected in the runner's
   batches and decoded by the application's mapper, nothing else), then the runner folding every read model from
   zero (ProjectionRunner.catch_up, as the worker does with a backlog), then the raw read again. The figure is
   the whole log's events per second through the runner, as a share of the mean of the two raw reads (goal: at
   least 25%).
3. Queries, through the use cases the routes call (access check and read-your-writes included, HTTP not):
   `--queries` commitments views (1, 7 or 30 days from a day within a week before and six weeks after "now"; the
   coordination group's, or one agency's filtered to itself) and as many statistics (grouped by agency, threat domain
   or month; the last 30 or 365 days, or one month), after 10% as many to warm up. p50/p95/p99 (goal p99 < 20 ms).

Usage: .venv/bin/python bench/coordination_views.py [--operations 100000] [--stores sqlite,postgres]
       [--queries 400] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import secrets
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import say, store_env, throwaway_store
from bench.plan_fill import settle_store
from bench.views_fill import Filler
from bench.workload import AGENCIES, BATCH_EVENTS, EPOCH
from coordination import bootstrap
from coordination.config import Settings
from coordination.context import RequestContext
from coordination.ledger import Ledger, ledger_env
from domain.envelope import Actor

READ_BATCH = 500  # the runner's batch
GOAL_MS = 20.0
GOAL_SHARE = 0.25
STORE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
COORDINATOR = RequestContext(Actor("cora", "OCG", "Cora", frozenset({"coordinator"})), "bench")



def agent(agency: str) -> RequestContext:
    return RequestContext(Actor(f"agent-{agency.lower()}", agency, "A", frozenset({"agent"})), "bench")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, int(q * len(ordered) + 0.999999) - 1)], 2)


# --------------------------------------------------------------------------------------------- catch-up


def raw_read(ledger: Ledger) -> dict[str, Any]:
    """Every notification selected in the runner's batches and decoded to its domain event: the library alone."""
    recorder, mapper = ledger.recorder, ledger.mapper
    t0, position, events = time.perf_counter(), 0, 0
    while True:
        batch = recorder.select_notifications(start=position, limit=READ_BATCH, inclusive_of_start=False)
        for notification in batch:
            mapper.to_domain_event(notification)
        events += len(batch)
        if len(batch) < READ_BATCH:
            break
        position = batch[-1].id
    seconds = time.perf_counter() - t0
    return {"events": events, "seconds": round(seconds, 1), "rate": round(events / seconds)}


def catch_up(services: Any, store: str) -> dict[str, Any]:
    """The raw read, every read model folded from zero (each timed), the raw read again."""
    before = raw_read(services.ledger)
    say(f"[{store}] raw decoded read: {before['events']:,} events in {before['seconds']} s ({before['rate']:,}/s)")
    runner = services.projections
    t0 = time.perf_counter()
    folded = runner.catch_up()
    seconds = time.perf_counter() - t0
    after = raw_read(services.ledger)
    say(f"[{store}] runner: folded {folded:,} events into {len(runner.projections)} read models in {seconds:.1f} s")
    say(f"[{store}] raw decoded read again: {after['rate']:,}/s")
    raw_rate = (before["rate"] + after["rate"]) / 2
    rate = before["events"] / seconds
    return {"raw_before": before, "raw_after": after, "raw_rate": round(raw_rate), "runner_seconds": round(seconds, 1),
            "runner_rate": round(rate), "share": round(rate / raw_rate, 3), "goal_met": rate / raw_rate >= GOAL_SHARE,
            "folded": folded, "positions": runner.positions()}


# --------------------------------------------------------------------------------------------- queries


def commitments_query(rng: random.Random, now: date) -> tuple[str, dict[str, Any], RequestContext]:
    first = now + timedelta(days=rng.randrange(-7, 43))
    days = rng.choice((1, 7, 30))
    if rng.random() < 0.5:
        return f"{days} d", {"first": first, "last": first + timedelta(days=days - 1), "agency": None}, COORDINATOR
    agency = rng.choice(AGENCIES)
    return f"{days} d", {"first": first, "last": first + timedelta(days=days - 1), "agency": agency}, agent(agency)


def statistics_query(rng: random.Random, now: date) -> tuple[str, dict[str, Any], RequestContext]:
    group_by = rng.choice(("agency", "threat_domain", "month"))
    shape = rng.choice(("30 d", "365 d", "a month"))
    if shape == "a month":
        first = (now - timedelta(days=rng.randrange(30, 150))).replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        last = now - timedelta(days=rng.randrange(0, 30))
        first = last - timedelta(days=int(shape.split()[0]) - 1)
    return shape, {"group_by": group_by, "first": first, "last": last}, COORDINATOR


def measure(name: str, call: Any, make: Any, count: int, size: Any) -> dict[str, Any]:
    rng, now = random.Random(7), EPOCH.date()
    for _ in range(max(1, count // 10)):  # warm-up
        _, kwargs, ctx = make(rng, now)
        call(ctx, min_position=None, **kwargs)
    samples: dict[str, list[float]] = {}
    sizes: list[int] = []
    for _ in range(count):
        shape, kwargs, ctx = make(rng, now)
        t0 = time.perf_counter()
        answer = call(ctx, min_position=None, **kwargs)
        samples.setdefault(shape, []).append((time.perf_counter() - t0) * 1000)
        sizes.append(size(answer))
    every = [s for group in samples.values() for s in group]
    return {"view": name, "queries": count, "p50_ms": pct(every, 0.5), "p95_ms": pct(every, 0.95),
            "p99_ms": pct(every, 0.99), "max_ms": round(max(every), 2), "goal_met": pct(every, 0.99) < GOAL_MS,
            "mean_rows": round(sum(sizes) / len(sizes), 1),
            "by_shape": {shape: {"queries": len(s), "p50_ms": pct(s, 0.5), "p99_ms": pct(s, 0.99)}
                         for shape, s in sorted(samples.items())}}


def queries(services: Any, count: int) -> list[dict[str, Any]]:
    def commitment_rows(view: dict[str, Any]) -> int:
        return len(view["days"]) + len(view["pending"]) + len(view["over_commitments"])

    return [measure("resources (commitments)", services.resource_listing.commitments, commitments_query, count,
                    commitment_rows),
            measure("statistics", services.statistics.statistics, statistics_query, count,
                    lambda view: len(view["rows"]))]


# --------------------------------------------------------------------------------------------- a store


def settings_of(store: str, data_dir: Path, schema: str | None) -> Settings:
    return Settings.from_env(store_env(store, data_dir, schema, secrets.token_hex(16)))


def fill(store: str, settings: Settings, operations: int, result: dict[str, Any]) -> None:
    bootstrap.migrate(settings)
    services = bootstrap.build(settings)
    try:
        keys = services.operations.runner.keys()
    finally:
        services.close()
    filler = Ledger(env=ledger_env(dataclasses.replace(settings, store_wait=30.0, aggregate_cache_size=0),
                                   create_tables=False))
    t0 = time.perf_counter()

    def progress(done: int, events: int) -> None:
        say(f"  [{store}] {done:,}/{operations:,} operations, {events:,} events "
            f"({events / max(1e-9, time.perf_counter() - t0):,.0f} events/s)")

    try:
        filled = Filler(filler, keys, now=EPOCH, batch_events=BATCH_EVENTS[store]).fill(operations, progress)
    finally:
        filler.close()
    result.update(operations=filled.operations, investigations=filled.investigations,
                  events=dict(sorted(filled.events.items())), log_position=filled.position,
                  fill_seconds=round(time.perf_counter() - t0, 1))
    result["store_bytes"] = settle_store(store, settings)


def bench_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_store(store, "views") as (tmp, schema):
        result: dict[str, Any] = {"store": store, "schema": schema}
        settings = settings_of(store, tmp, schema)
        say(f"[{store}] fill: {args.operations:,} operations")
        fill(store, settings, args.operations, result)
        say(f"[{store}] filled: {result['log_position']:,} events in {result['fill_seconds']} s")
        services = bootstrap.build(settings)
        try:
            result["catch_up"] = catch_up(services, store)
            settle_store(store, settings)  # the read models' tables analysed, as autovacuum would
            result["queries"] = queries(services, args.queries)
            for q in result["queries"]:
                say(f"[{store}] {q['view']}: p50 {q['p50_ms']} ms, p99 {q['p99_ms']} ms ({q['mean_rows']} rows)")
        finally:
            services.close()
        return result


# --------------------------------------------------------------------------------------------- report


def markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| store | events in the log | raw decoded read (events/s) | runner catch-up (events/s) | share | goal "
             "(≥ 25%) |", "|---|---:|---:|---:|---:|---|"]
    for r in results:
        c = r["catch_up"]
        lines.append(f"| {STORE_NAMES[r['store']]} | {c['raw_before']['events']:,} | {c['raw_rate']:,} "
                     f"({c['raw_before']['rate']:,} before, {c['raw_after']['rate']:,} after) | {c['runner_rate']:,} "
                     f"| **{c['share']:.0%}** | {'met' if c['goal_met'] else 'missed'} |")
    lines += ["", "| store | view | queries | p50 ms | p95 ms | p99 ms | max ms | goal (p99 < 20 ms) | p50 / p99 "
              "by shape | mean rows |", "|---|---|---:|---:|---:|---:|---:|---|---|---:|"]
    for r in results:
        for q in r["queries"]:
            shapes = "; ".join(f"{s}: {v['p50_ms']} / {v['p99_ms']}" for s, v in q["by_shape"].items())
            lines.append(f"| {STORE_NAMES[r['store']]} | {q['view']} | {q['queries']} | {q['p50_ms']} | "
                         f"{q['p95_ms']} | **{q['p99_ms']}** | {q['max_ms']} | "
                         f"{'met' if q['goal_met'] else 'missed'} | {shapes} | {q['mean_rows']} |")
    lines.append("")
    for r in results:
        c = r["catch_up"]
        lines.append(f"{STORE_NAMES[r['store']]}: {r['operations']:,} operations of {r['investigations']:,} "
                     f"investigations; events by record {r['events']}; filled in {r['fill_seconds']} s, ledger "
                     f"{r['store_bytes'] / 2**30:.2f} GiB; the runner folded {c['folded']:,} events (an event "
                     f"folded into two read models counts twice) in {c['runner_seconds']} s.")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operations", type=int, default=100_000)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    started = datetime.now(UTC)
    results = [bench_store(store, args) for store in args.stores.split(",")]
    if args.json:
        args.json.write_text(json.dumps({"started": started.isoformat(), "results": results}, indent=2, default=str))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
