"""A 10,000-event investigation: its history as it stood, and its current state (issue 13's first figures).

For each store (SQLite: a temporary data directory; PostgreSQL: a throwaway schema, dropped afterwards): one case
opened through the use case, then 9,999 actions logged through the domain and saved in batches of 1,000 (with the
snapshots the ledger takes). Then, through the use cases the routes call (access check included, HTTP not):

- history: `CaseHistory.as_it_stood` with no bounds, with `known_at` half way, with `as_of` half way (each reads
  and decodes every stored event of the case: a replay does not start from a snapshot);
- current state: `Investigations.get`, on the worker that wrote the case (its aggregate cache holds it) and without
  a cache (a fresh worker's first read: the latest snapshot and the events after it).

Goals (the issue's): history < 300 ms, current state < 5 ms. Usage:
    .venv/bin/python bench/case_history.py [--events 10000] [--runs 30] [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import cipher_key, per_store_main, say, store_env, throwaway_store
from coordination import bootstrap
from coordination.config import Settings
from coordination.context import RequestContext
from domain.envelope import Actor, Envelope

AGENT = RequestContext(Actor("alice", "HSI", "Alice", frozenset({"agent"})), "bench")
STORE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
BATCH = 1_000



def fill(services: Any, events: int) -> Any:
    """A case of `events` events: opened through the use case, then actions logged and saved in batches."""
    case_id = services.investigations.open(AGENT, title="Operation Long Road", threat_domain="drug_trafficking",
                                           summary=None).result["id"]
    envelope = Envelope(AGENT.actor, "bench")
    case = services.ledger.repository.get(case_id)
    now = case.opened_at
    for n in range(events - 1):
        case.log_action(kind="surveillance", summary=f"Watched the stash house, shift {n}", occurred_at=None,
                        location=None, now=now, envelope=envelope)
        if len(case.pending_events) >= BATCH:
            services.ledger.save(case)
    services.ledger.save(case)
    return case_id


def timed(call: Any, runs: int) -> dict[str, float]:
    call()  # warm-up
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered), 2), "max_ms": round(ordered[-1], 2)}


def bench_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_store(store, "history") as (tmp, schema):
        settings = dataclasses.replace(Settings.from_env(store_env(store, tmp, schema, secrets.token_hex(16))),
                                       cipher_key=cipher_key(args.cipher))
        bootstrap.migrate(settings)
        services = bootstrap.build(settings)
        fresh = None
        try:
            t0 = time.perf_counter()
            case_id = fill(services, args.events)
            say(f"[{store}] {args.events:,} events in {time.perf_counter() - t0:.1f} s")
            events = list(services.ledger.events.get(case_id))
            middle = events[len(events) // 2]
            history = services.case_history.as_it_stood
            result = {"store": store, "events": len(events), "measures": {
                "history, no bounds": timed(lambda: history(AGENT, case_id, as_of=None, known_at=None, after=0,
                                                            limit=100), args.runs),
                "history, known_at half way": timed(lambda: history(AGENT, case_id, as_of=None,
                                                                    known_at=middle.timestamp, after=0, limit=100),
                                                    args.runs),
                "history, as_of half way": timed(lambda: history(AGENT, case_id, as_of=middle.occurred_at,
                                                                 known_at=None, after=0, limit=100), args.runs),
                "current state, this worker": timed(lambda: services.investigations.get(AGENT, case_id), args.runs),
            }}
            # Without an aggregate cache every read is a fresh worker's first: the latest snapshot and the events
            # after it.
            fresh = bootstrap.build(dataclasses.replace(settings, aggregate_cache_size=0))
            result["measures"]["current state, no cache"] = timed(lambda: fresh.investigations.get(AGENT, case_id),
                                                                  args.runs)
            return result
        finally:
            services.close()
            if fresh is not None:
                fresh.close()


def markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| store | events | measure | p50 ms | max ms | goal |", "|---|---:|---|---:|---:|---|"]
    for r in results:
        for name, m in r["measures"].items():
            goal = 300 if name.startswith("history") else 5
            met = "met" if m["p50_ms"] < goal else "missed"
            lines.append(f"| {STORE_NAMES[r['store']]} | {r['events']:,} | {name} | {m['p50_ms']} | {m['max_ms']} | "
                         f"< {goal} ms: {met} |")
    return "\n".join(lines)


def main() -> int:
    return per_store_main(__doc__, bench_store, markdown, events=10_000, runs=30)


if __name__ == "__main__":
    raise SystemExit(main())
