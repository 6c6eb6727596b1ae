"""The deconfliction check's query (proximity and time) against a bare indexed table and a naive scan.

    .venv/bin/python bench/deconfliction_query.py [--sizes 1000,10000,100000] [--quick] [--probes 2000]
                                                  [--store sqlite|postgres|both] [--naive-budget 10000000]
                                                  [--profile cold,cached] [--density steady|dense]

`Deconfliction.check` (coordination/deconfliction.py) finds the operations a new plan could conflict with by
loading the AreaIndex records (domain/area_index.py) of the plan's `index_keys`: the h3 res-5 cells within one
ring of its path, per UTC day of its padded window (domain/deconfliction.py), each record one aggregate in
the ledger, all of them in one read (`Session.find_many`, coordination/bulk_reads.py). It then tests every
entry found exactly with `proximity`.

For each store (SQLite: a file in a temporary directory; PostgreSQL: a throwaway schema bench_<random>, both
schemas dropped afterwards) and each size N, on a fresh store:

- fill: N active operations' entries (`footprint`), spread as plans are: 70 % around 20 US metro areas
  (gaussian scatter, sigma 15 km), 30 % uniform over the CONUS bounding box; windows of 2-6 h; kinds mixed
  (fixed-site kinds at one point; half of the mobile ones with a route of 1-4 legs of 1-8 km). Their starts
  (`--density`): `steady` (the default), 500 operations starting a day, so N/500 days ahead (a larger N is
  a longer horizon, as a larger deployment or a longer planning horizon would be; the three US systems see
  ~960 events a day); `dense`, all within the next 30 days at every N (a 100x larger N is a 100x denser
  neighbourhood around every probe, and the answer itself grows with it). Each AreaIndex record gets what each
  operation's check wrote into it (`AreaIndex.keep`): an Entered event where the entry is kept (the cells its
  path runs through), a Checked event elsewhere in its ring; saved through `ledger.save(*records)` in batches
  (a record gets one snapshot at its version when a save passes its interval, as the live path does). No
  Operation aggregates: this bench is the read only. The same entries go, one row per entry per kept key, into a
  plain table `plain_index(cell, day, payload)` with an index on (cell, day), in the same SQLite file /
  PostgreSQL schema.
- probes: the same 2,000 random plans (same places, new investigations; their starts over the same horizon as
  the fill's, in the steady density at least 8 h from its ends, so that each meets a whole neighbourhood even
  when the horizon is two days) at every size, each measured:
  (1) the check's query: the probe's keys' records in one `Session.find_many(AreaIndex, ...)`, the
      entries gathered by operation id as the check does, and `proximity` against each (no write); on a
      ledger with the aggregate cache off (`aggregate_cache_size` 0) and on one with the default cache (1000),
      each a new Ledger built with `ledger_env`, connected before the clock starts;
  (2) the bare indexed query: one `SELECT payload FROM plain_index WHERE cell IN (..) AND day IN (..)` (the
      keys are the product of their cells and days, so this is exact), the payloads (JSON) decoded once per
      distinct entry, and the same `proximity` filter in Python;
  (3) the naive scan: `proximity` against every one of the N entries, from a list held in memory (no store,
      so measured once per size, not per store; on the first probes only, up to --naive-budget N x probes).
  The three (and the two cache settings) are interleaved probe by probe, so background load hits them alike;
  computing the probe's `index_keys` is timed on its own, not in (1) or (2). The set of conflicting operations
  of every probe must be the same in each (asserted).

Goals (the issue's): (1) within 5x of (2) at p99; (1)'s p99 at 100k under 1.5x its p99 at 1k. The table goes to
stdout, progress to stderr; --profile prints cProfile's top functions of (1) (timings then inflated).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import math
import os
import platform
import pstats
import random
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import PG, pg_exec  # noqa: E402
from bench.workload import (  # noqa: E402
    BATCH_EVENTS,
    PROBE_MARGIN,
    ZERO,
    entries,
    fill_ledger,
    horizon_of,
    placed,
)
from coordination import bootstrap  # noqa: E402
from coordination.commands import Session  # noqa: E402
from coordination.config import Settings  # noqa: E402
from coordination.ledger import Ledger, ledger_env  # noqa: E402
from domain.area_index import AreaIndex  # noqa: E402
from domain.deconfliction import index_keys, proximity  # noqa: E402
from domain.keys import NaturalKeys  # noqa: E402

CACHE = 1000  # the default aggregate cache (Settings.aggregate_cache_size)


# --------------------------------------------------------------------------------------------- stores


def _payload(entry: dict[str, Any]) -> str:
    return json.dumps(entry, default=lambda v: v.isoformat(), separators=(",", ":"))


def _decoded(payload: str) -> dict[str, Any]:
    entry = json.loads(payload)
    entry["starts_at"] = datetime.fromisoformat(entry["starts_at"])
    entry["ends_at"] = datetime.fromisoformat(entry["ends_at"])
    return entry


class Plain:
    """The bare indexed table on the same store: one row per entry per key, an index on (cell, day)."""

    def __init__(self, store: str, settings: Settings):
        self.store = store
        if store == "sqlite":
            self.conn: Any = sqlite3.connect(settings.data_dir / "ledger.db", isolation_level=None)
            self.table = "plain_index"
        else:
            import psycopg

            pg = settings.postgres
            assert pg is not None
            self.conn = psycopg.connect(dbname=pg.dbname, host=pg.host, port=pg.port, user=pg.user,
                                        password=pg.password, autocommit=True)
            self.table = f'"{pg.schema}".plain_index'

    def fill(self, rows: Iterable[tuple[str, str, str]]) -> int:
        n = 0
        self.conn.execute(f"CREATE TABLE {self.table} (cell TEXT NOT NULL, day TEXT NOT NULL, payload TEXT NOT NULL)")
        if self.store == "sqlite":
            self.conn.execute("BEGIN")
            for chunk in _chunks(rows, 50_000):
                self.conn.executemany(f"INSERT INTO {self.table} VALUES (?, ?, ?)", chunk)
                n += len(chunk)
            self.conn.execute("COMMIT")
        else:
            with self.conn.cursor() as cur, cur.copy(f"COPY {self.table} (cell, day, payload) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
        self.conn.execute(f"CREATE INDEX plain_index_cell_day ON {self.table} (cell, day)")
        self.conn.execute(f"ANALYZE {self.table}")
        return n

    def candidates(self, keys: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
        cells, days = sorted({c for c, _ in keys}), sorted({d for _, d in keys})
        if self.store == "sqlite":
            sql = (f"SELECT payload FROM {self.table} WHERE cell IN ({','.join('?' * len(cells))}) "
                   f"AND day IN ({','.join('?' * len(days))})")
            rows = self.conn.execute(sql, (*cells, *days)).fetchall()
        else:
            rows = self.conn.execute(f"SELECT payload FROM {self.table} WHERE cell = ANY(%s) AND day = ANY(%s)",
                                     (cells, days), prepare=True).fetchall()
        found = {}
        for (payload,) in rows:
            if payload not in found:
                found[payload] = _decoded(payload)
        return {e["operation_id"]: e for e in found.values()}

    def close(self) -> None:
        self.conn.close()


def _chunks(rows: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _settings(store: str, tmp: str, schema: str, cache: int) -> Settings:
    env = {"PATHWAYS_STORE": store, "PATHWAYS_DATA_DIR": tmp, "PATHWAYS_AUTH_DEV_SECRET": secrets.token_hex(16)}
    if store == "postgres":
        env.update(PG, POSTGRES_SCHEMA=schema)
    return dataclasses.replace(Settings.from_env(env), aggregate_cache_size=cache)


# --------------------------------------------------------------------------------------------- measuring


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def check_query(ledger: Ledger, keys: NaturalKeys, probe: dict[str, Any],
                probe_keys: list[tuple[str, str]]) -> tuple[set[str], int, int]:
    """What Deconfliction.check reads: its keys' records through Session.find_many, then proximity against each entry
    gathered (by operation id, not the probe's own). Returns the conflicting ids, records found, entries compared."""
    session = Session(ledger)
    me = probe["operation_id"]
    compared: dict[str, dict[str, Any]] = {}
    # The check's own read (Deconfliction._areas): every key's record in one bulk read.
    records = session.find_many(AreaIndex, [keys.area(cell, day) for cell, day in probe_keys])
    for record in records.values():
        compared.update((k, e) for k, e in record.entries.items() if k != me)
    found = len(records)
    return {k for k, e in compared.items() if proximity(probe, e) is not None}, found, len(compared)


def plain_query(plain: Plain, probe: dict[str, Any], probe_keys: list[tuple[str, str]]) -> set[str]:
    me = probe["operation_id"]
    return {k for k, e in plain.candidates(probe_keys).items() if k != me and proximity(probe, e) is not None}


def naive_scan(all_entries: list[dict[str, Any]], probe: dict[str, Any]) -> set[str]:
    me = probe["operation_id"]
    return {e["operation_id"] for e in all_entries if e["operation_id"] != me and proximity(probe, e) is not None}


def measure_naive(all_entries: list[dict[str, Any]], probes: list[dict[str, Any]], budget: int,
                  say: Callable[[str], None]) -> dict[str, Any]:
    count = max(1, min(len(probes), budget // max(1, len(all_entries))))
    t0 = time.perf_counter()
    times, found = [], []
    for probe in probes[:count]:
        t = time.perf_counter()
        found.append(naive_scan(all_entries, probe))
        times.append(_ms(t))
    say(f"  naive scan of {len(all_entries):,} on {count:,} probes in {time.perf_counter() - t0:.0f} s")
    return {"probes": count, "times": times, "found": found}


def measure_store(store: str, size: int, all_entries: list[dict[str, Any]], probes: list[dict[str, Any]],
                  probe_keys: list[list[tuple[str, str]]], warmups: list[dict[str, Any]],
                  say: Callable[[str], None], profile: tuple[str, ...] = ()) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="pathways-deconfliction-")
    schema = f"bench_{secrets.token_hex(4)}"
    ledgers: list[Ledger] = []
    plain: Plain | None = None
    result: dict[str, Any] = {"store": store, "size": size}
    try:
        cold = _settings(store, tmp, schema, 0)
        bootstrap.migrate(cold)
        keys = NaturalKeys(UUID(int=random.Random(size).getrandbits(128), version=4))
        t0 = time.perf_counter()
        by_key = placed(all_entries)
        result["index_seconds"] = time.perf_counter() - t0
        # The filler's saves are big (BATCH_EVENTS): a store wait of 30 s, not the 2 s a request gets.
        filler = Ledger(env=ledger_env(dataclasses.replace(cold, store_wait=30.0), create_tables=False))
        ledgers.append(filler)
        t0 = time.perf_counter()
        result["events"] = fill_ledger(filler, keys, by_key, BATCH_EVENTS[store])
        result["fill_seconds"] = time.perf_counter() - t0
        if store == "postgres":  # as the plain table below is: fresh statistics for the planner
            pg_exec(f'ANALYZE "{schema}".ledger_events, "{schema}".ledger_snapshots')
        result["records"] = len(by_key)
        result["largest_record"] = max(sum(here for _, here in v) for v in by_key.values())
        plain = Plain(store, cold)
        t0 = time.perf_counter()
        payloads = {e["operation_id"]: _payload(e) for e in all_entries}
        result["rows"] = plain.fill((c, d, payloads[e["operation_id"]]) for (c, d), es in by_key.items()
                                    for e, here in es if here)
        result["plain_fill_seconds"] = time.perf_counter() - t0
        del by_key, payloads
        filler.close()
        ledgers.clear()
        say(f"  {store}: {result['records']:,} records, {result['events']:,} events in {result['fill_seconds']:.0f} s;"
            f" {result['rows']:,} plain rows in {result['plain_fill_seconds']:.0f} s")

        modes = {"cold": Ledger(env=ledger_env(cold, create_tables=False)),
                 "cached": Ledger(env=ledger_env(dataclasses.replace(cold, aggregate_cache_size=CACHE),
                                                 create_tables=False))}
        ledgers.extend(modes.values())
        for ledger in modes.values():
            ledger.max_position()  # connected before the clock starts
        for probe in warmups:  # first-call costs (prepared statements, code paths), not counted
            wk = index_keys(probe)
            for ledger in modes.values():
                check_query(ledger, keys, probe, wk)
            plain_query(plain, probe, wk)
        times: dict[str, list[float]] = {"cold": [], "cached": [], "plain": []}
        found: dict[str, list[set[str]]] = {"cold": [], "cached": [], "plain": []}
        hits = lookups = records_found = compared = 0
        cache = modes["cached"].repository.cache
        profilers = {mode: cProfile.Profile() for mode in profile}
        t_all = time.perf_counter()
        for probe, pk in zip(probes, probe_keys, strict=True):
            for mode, ledger in modes.items():
                if mode == "cached":
                    ids = [keys.area(c, d) for c, d in pk]
                    hits += sum(1 for i in ids if i in cache.cache)
                    lookups += len(ids)
                if mode in profilers:
                    profilers[mode].enable()
                t = time.perf_counter()
                conflicts, n_found, n_compared = check_query(ledger, keys, probe, pk)
                times[mode].append(_ms(t))
                if mode in profilers:
                    profilers[mode].disable()
                found[mode].append(conflicts)
                if mode == "cold":
                    records_found += n_found
                    compared += n_compared
            t = time.perf_counter()
            found["plain"].append(plain_query(plain, probe, pk))
            times["plain"].append(_ms(t))
        say(f"  {store}: {len(probes):,} probes x 3 in {time.perf_counter() - t_all:.0f} s")
        for mode, profiler in profilers.items():
            say(f"  profile of (1) {mode}, {store}, N = {size:,} (its timings above are inflated by it):")
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        result.update(times=times, found=found, cache_hits=hits, cache_lookups=lookups,
                      records_per_probe=records_found / len(probes), compared_per_probe=compared / len(probes))
        return result
    finally:
        for closing in [*ledgers, *([plain] if plain is not None else [])]:
            try:
                closing.close()
            except Exception as error:  # noqa: BLE001 - the store is dropped below whatever happened
                say(f"  closing {type(closing).__name__}: {type(error).__name__}: {error}")
        shutil.rmtree(tmp, ignore_errors=True)
        if store == "postgres":
            pg_exec(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            pg_exec(f'DROP SCHEMA IF EXISTS "{schema}_audit" CASCADE')


def agree(result: dict[str, Any], naive: dict[str, Any]) -> None:
    """Assert every probe found the same conflicts each way; keeps the totals found."""
    found = result.pop("found")
    for i, cold in enumerate(found["cold"]):
        assert cold == found["cached"][i] == found["plain"][i], (result["store"], result["size"], i)
        if i < naive["probes"]:
            assert cold == naive["found"][i], (result["store"], result["size"], i, cold, naive["found"][i])
    result["conflicts"] = sum(len(s) for s in found["cold"])
    result["conflicts_on_naive"] = sum(len(s) for s in found["cold"][:naive["probes"]])


# --------------------------------------------------------------------------------------------- report


STORE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def markdown(results: list[dict[str, Any]], naive: dict[int, dict[str, Any]], keys_ms: list[float],
             probes: int, keys_per_probe: float) -> str:
    lines = [
        "| store | N | records / events | fill s | (1) check's query, no cache: p50 / p99 ms | (1) with cache "
        "(1000): p50 / p99 ms; hit rate | (2) bare indexed query: p50 / p99 ms | (1)/(2) at p99, no cache "
        "/ cache | (3) naive scan (in memory): p50 / p99 ms (probes) | keys / records found / entries compared "
        "per probe | conflicts found (1) = (2) = (3) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        t, nv = r["times"], naive[r["size"]]
        naive_conflicts = sum(len(s) for s in nv["found"])
        lines.append(
            f"| {STORE_NAMES[r['store']]} | {r['size']:,} | {r['records']:,} / {r['events']:,} | "
            f"{r['fill_seconds'] + r['plain_fill_seconds']:.0f} | "
            f"{pct(t['cold'], .5):.2f} / {pct(t['cold'], .99):.2f} | "
            f"{pct(t['cached'], .5):.2f} / {pct(t['cached'], .99):.2f}; {r['cache_hits'] / r['cache_lookups']:.0%} | "
            f"{pct(t['plain'], .5):.2f} / {pct(t['plain'], .99):.2f} | "
            f"**{pct(t['cold'], .99) / pct(t['plain'], .99):.1f}x** / "
            f"{pct(t['cached'], .99) / pct(t['plain'], .99):.1f}x | "
            f"{pct(nv['times'], .5):.1f} / {pct(nv['times'], .99):.1f} ({nv['probes']:,}) | "
            f"{r['keys_per_probe']:.1f} / {r['records_per_probe']:.1f} / {r['compared_per_probe']:.1f} | "
            f"{r['conflicts']:,} of {probes:,} probes; (3) {naive_conflicts:,} = {r['conflicts_on_naive']:,} on its "
            f"{nv['probes']:,} |")
    lines += ["", f"Computing a probe's `index_keys` (not in (1) or (2)): p50 {pct(keys_ms, .5):.2f} ms, "
              f"p99 {pct(keys_ms, .99):.2f} ms."]
    sizes = sorted({r["size"] for r in results})
    if len(sizes) > 1:
        for store in dict.fromkeys(r["store"] for r in results):
            by = {r["size"]: r for r in results if r["store"] == store}
            first, last = by[sizes[0]], by[sizes[-1]]
            growth = {m: pct(last["times"][m], .99) / pct(first["times"][m], .99) for m in ("cold", "cached", "plain")}
            lines.append(f"{STORE_NAMES[store]}: p99 growth {sizes[0]:,} -> {sizes[-1]:,}: (1) no cache "
                         f"**{growth['cold']:.2f}x**, (1) with cache {growth['cached']:.2f}x, "
                         f"(2) {growth['plain']:.2f}x.")
    return "\n".join(lines)


def _commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "bench/deconfliction_query.py", "domain",
                                "coordination"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return f"{sha}{' (with uncommitted changes)' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--quick", action="store_true", help="sizes 1000,10000")
    parser.add_argument("--probes", type=int, default=2000)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--naive-budget", type=int, default=10_000_000,
                        help="naive scan on the first budget/N probes at most (N x probes proximity calls)")
    parser.add_argument("--seed", type=int, default=20270104)
    parser.add_argument("--density", choices=("steady", "dense"), default="steady",
                        help="steady: 500 operations start a day, so N/500 days; dense: all within 30 days")
    parser.add_argument("--profile", default="", metavar="cold,cached",
                        help="cProfile (1) without (cold) and/or with the cache (cached), every store and size "
                             "(inflates its timings)")
    args = parser.parse_args()
    sizes = [1000, 10_000] if args.quick else sorted(int(s) for s in args.sizes.split(","))
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    started = time.perf_counter()
    say(f"machine: nproc {os.cpu_count()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}; commit {_commit()}")
    probe_seed = random.Random(args.seed + 1).getrandbits(32)
    profile = tuple(m for m in args.profile.split(",") if m)
    results, naive = [], {}
    keys_ms: list[float] = []
    keys_per_probe = 0.0
    say(f"density: {args.density}")
    for size in sizes:
        # The same places at every size; in the steady density their starts spread over a longer horizon.
        horizon = horizon_of(size, args.density)
        everything = entries(args.seed, size, horizon)
        # Steady: probes start 8 h inside the horizon's ends (a 6 h window and both paddings fit), so that at
        # 1,000 (two days) they meet a whole neighbourhood, as at every larger size, not half of one.
        probes = entries(probe_seed, args.probes + 20, horizon, PROBE_MARGIN if args.density == "steady" else ZERO)
        probes, warmups = probes[:args.probes], probes[args.probes:]
        probe_keys = []
        for probe in probes:
            t = time.perf_counter()
            probe_keys.append(index_keys(probe))
            keys_ms.append(_ms(t))
        keys_per_probe = sum(map(len, probe_keys)) / len(probe_keys)
        say(f"N = {size:,}, starts within {horizon.total_seconds() / 86400:g} days")
        naive[size] = measure_naive(everything, probes, args.naive_budget, say)
        for store in stores:
            result = measure_store(store, size, everything, probes, probe_keys, warmups, say, profile)
            agree(result, naive[size])
            result["keys_per_probe"] = keys_per_probe
            results.append(result)
    print(markdown(results, naive, keys_ms, args.probes, keys_per_probe))
    say(f"whole run {time.perf_counter() - started:.0f} s; load average after "
        f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
