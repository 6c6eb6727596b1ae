"""Signing and checking the whole ledger against signed checkpoints, beside the library's raw decoded read rate.

For each store (SQLite: a temporary data directory; PostgreSQL: a throwaway schema, dropped afterwards): the ledger
filled as bench/coordination_views.py fills it (`--operations` operations and what surrounds them, ~20 events
each), a signing key made; then, in one process and in this order: the raw decoded read (every notification
selected in batches of 500 and decoded by the application's mapper), the first seal (the running hash over the whole
log, then signed), and `SignedCheckpoints.verify` (the log walked against the checkpoint with the public key). Rates
are events of the log per second; the verify rate is given as a share of the raw read rate.

Usage: .venv/bin/python bench/ledger_verify.py [--operations 50000] [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.coordination_views import STORE_NAMES, fill, raw_read, settings_of
from bench.harness import cipher_key, per_store_main, say, throwaway_store
from coordination import bootstrap
from coordination.signing import Signer, new_private_key_pem


def bench_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_store(store, "verify") as (tmp, schema):
        result: dict[str, Any] = {"store": store}
        key = tmp / "signing.pem"
        key.write_bytes(new_private_key_pem())
        settings = dataclasses.replace(settings_of(store, tmp / "data", schema), signing_key_file=key,
                                       cipher_key=cipher_key(args.cipher))
        fill(store, settings, args.operations, result)
        say(f"[{store}] filled: {result['log_position']:,} events")
        services = bootstrap.build(settings)
        try:
            result["raw"] = raw_read(services.ledger)
            t0 = time.perf_counter()
            services.signed_heads.seal()
            result["seal_seconds"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            report = services.signed_heads.verify(Signer.from_file(key).public_key)
            result["verify_seconds"] = round(time.perf_counter() - t0, 3)
            result["valid"] = report["valid"]
            say(f"[{store}] raw {result['raw']['rate']:,}/s, seal {result['seal_seconds']} s, "
                f"verify {result['verify_seconds']} s ({report['valid']})")
        finally:
            services.close()
        return result


def markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| store | events | raw decoded read | seal (first: the whole log) | verify | verify / raw | valid |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in results:
        events, raw = r["raw"]["events"], r["raw"]["rate"]
        seal, verify = events / r["seal_seconds"], events / r["verify_seconds"]
        lines.append(f"| {STORE_NAMES[r['store']]} | {events:,} | {raw:,}/s | {seal:,.0f}/s | {verify:,.0f}/s | "
                     f"**{verify / raw:.0%}** | {r['valid']} |")
    return "\n".join(lines)


def main() -> int:
    return per_store_main(__doc__, bench_store, markdown, operations=50_000)


if __name__ == "__main__":
    raise SystemExit(main())
