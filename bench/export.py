"""Exporting a case of 1,000,000 events, beside the library's raw decoded read rate of the same events, with the
process's resident memory sampled throughout (issue 13's export figure).

For each store (SQLite: a temporary data directory; PostgreSQL: a throwaway schema, dropped afterwards): one case
opened through the use case, then `--events` - 1 actions logged through the domain and saved in batches of 1,000.
Then, in one process: the raw decoded read of the case (its stored events a page of 500 at a time, each decoded by
the application's mapper), and the export (`CaseExport.bundle`, signed at the end, written to a file). Rates are
events per second; RSS is sampled every 50 ms (VmRSS) during each phase: its peak beside its value at the start
says whether memory stays flat.

Usage: .venv/bin/python bench/export.py [--events 1000000] [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.case_history import AGENT, STORE_NAMES, fill
from bench.harness import cipher_key, per_store_main, say, store_env, throwaway_store
from coordination import bootstrap
from coordination.config import Settings
from coordination.signing import new_private_key_pem

PAGE = 500



def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Sampler:
    """The peak resident memory while a phase runs."""

    def __init__(self) -> None:
        self.start = rss_mib()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mib())

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib())


def raw_read(services: Any, case_id: Any) -> int:
    recorder, mapper, after, count = services.ledger.recorder, services.ledger.mapper, 0, 0
    while True:
        page = recorder.select_events(case_id, gt=after, limit=PAGE)
        for stored in page:
            mapper.to_domain_event(stored)
        count += len(page)
        if len(page) < PAGE:
            return count
        after = page[-1].originator_version


def phase(name: str, store: str, call: Any, events: int) -> dict[str, Any]:
    with Sampler() as memory:
        t0 = time.perf_counter()
        call()
        seconds = time.perf_counter() - t0
    result = {"seconds": round(seconds, 1), "rate": round(events / seconds), "rss_start_mib": round(memory.start),
              "rss_peak_mib": round(memory.peak)}
    say(f"[{store}] {name}: {result}")
    return result


def bench_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_store(store, "export") as (tmp, schema):
        key = tmp / "signing.pem"
        key.write_bytes(new_private_key_pem())
        settings = dataclasses.replace(Settings.from_env(store_env(store, tmp / "data", schema,
                                                                   secrets.token_hex(16))), signing_key_file=key,
                                       cipher_key=cipher_key(args.cipher))
        bootstrap.migrate(settings)
        services = bootstrap.build(settings)
        try:
            t0 = time.perf_counter()
            case_id = fill(services, args.events)
            say(f"[{store}] {args.events:,} events in {time.perf_counter() - t0:.0f} s")
            bundle = tmp / "case.zip"

            def export() -> None:
                with bundle.open("wb") as out:
                    for chunk in services.export.bundle(case_id, AGENT.actor.as_dict()):
                        out.write(chunk)

            return {"store": store, "events": args.events,
                    "raw": phase("raw decoded read", store, lambda: raw_read(services, case_id), args.events),
                    "export": phase("export", store, export, args.events),
                    "bundle_mib": round(bundle.stat().st_size / 2**20)}
        finally:
            services.close()


def markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| store | events | raw decoded read | export | export / raw (goal ≥ 50%) | RSS MiB: start → peak, "
             "read / export | bundle |", "|---|---:|---:|---:|---:|---|---:|"]
    for r in results:
        raw, export = r["raw"], r["export"]
        share = export["rate"] / raw["rate"]
        lines.append(f"| {STORE_NAMES[r['store']]} | {r['events']:,} | {raw['rate']:,}/s | {export['rate']:,}/s | "
                     f"**{share:.0%}** ({'met' if share >= 0.5 else 'missed'}) | {raw['rss_start_mib']} → "
                     f"{raw['rss_peak_mib']} / {export['rss_start_mib']} → {export['rss_peak_mib']} | "
                     f"{r['bundle_mib']} MiB |")
    return "\n".join(lines)


def main() -> int:
    return per_store_main(__doc__, bench_store, markdown, events=1_000_000)


if __name__ == "__main__":
    raise SystemExit(main())
