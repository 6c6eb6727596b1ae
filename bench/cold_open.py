"""Opening a case on a fresh worker, at an agency-year's first case and after its 10,000th.

    .venv/bin/python bench/cold_open.py [--store sqlite|postgres|both] [--cases 10000] [--repeat 5]

Every opening loads the agency-year's CaseNumberSequence, which gains one event per case. A fresh worker has
an empty aggregate cache, so its first opening loads the sequence from the store: the last snapshot and the
events after it (snapshots since 7d087b0, every 50 events since the hardening issue), or, without snapshots,
every case number the agency issued that year. Measured in one process on a fresh store (SQLite: a temporary directory;
PostgreSQL: a throwaway schema, dropped afterwards), through the use case (no HTTP), each cold opening on a
new Ledger (empty cache, connection opened before the clock starts):

- first: the first case of an agency-year (each repeat a new agency);
- after: the same agency-year grown to --cases cases by a long-lived ledger, as a worker fills it; then cold
  openings with 199 events after the last snapshot (the worst case) and with none (the best), and, for
  contrast, on a ledger that reads no snapshot (WithoutSnapshots: what every cold opening paid before);
- the cold load alone (repository.get of the sequence, no write), at the same points.

The ratio after / first (worst case) is the issue's criterion: at most 2.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import PG, pg_exec  # noqa: E402
from coordination import bootstrap  # noqa: E402
from coordination.commands import CommandRunner  # noqa: E402
from coordination.config import Settings  # noqa: E402
from coordination.context import RequestContext  # noqa: E402
from coordination.deployment import DeploymentKeys  # noqa: E402
from coordination.investigations import Investigations  # noqa: E402
from coordination.ledger import Ledger, ledger_env  # noqa: E402
from domain.case_numbers import CaseNumberSequence  # noqa: E402
from domain.envelope import Actor  # noqa: E402

AGENCY = "HSI"


class WithoutSnapshots(Ledger):
    """The ledger reading no snapshot: a load replays the whole history, as the sequence's did before 7d087b0."""

    name = Ledger.name  # the same tables
    snapshotting_intervals = {}


def with_interval(interval: int | None) -> type[Ledger]:
    """The ledger, or one snapshotting the sequence every `interval` events (to compare intervals)."""
    if interval is None:
        return Ledger
    intervals = {**Ledger.snapshotting_intervals, CaseNumberSequence: interval}
    return type("Ledger", (Ledger,), {"name": Ledger.name, "snapshotting_intervals": intervals})


def _ctx(agency: str) -> RequestContext:
    return RequestContext(actor=Actor(sub="bench", agency=agency, roles=frozenset({"agent"})), request_id="bench",
                          anchors_deferred=True)


def _open(cases: Investigations, agency: str) -> None:
    cases.open(_ctx(agency), title="Cold open", threat_domain="cybercrime", summary=None)


def _sequence_id(ledger: Ledger, agency: str) -> Any:
    return DeploymentKeys(ledger)().case_sequence(agency, datetime.now(UTC).year)


@contextmanager
def _fresh(settings: Settings, ledger_class: type[Ledger]) -> Iterator[tuple[Ledger, Investigations]]:
    """A new ledger (empty aggregate cache), already connected, as a fresh worker has after its first request."""
    env = ledger_env(settings, create_tables=False)
    env["IS_SNAPSHOTTING_ENABLED"] = "y" if ledger_class.snapshotting_intervals else "n"
    ledger = ledger_class(env=env)
    try:
        ledger.max_position()
        yield ledger, Investigations(CommandRunner(ledger))
    finally:
        ledger.close()


def cold_open(settings: Settings, agency: str, ledger_class: type[Ledger]) -> float:
    with _fresh(settings, ledger_class) as (_, cases):
        t0 = time.perf_counter()
        _open(cases, agency)
        return (time.perf_counter() - t0) * 1000


def cold_load(settings: Settings, agency: str, ledger_class: type[Ledger]) -> float:
    with _fresh(settings, ledger_class) as (ledger, _):
        t0 = time.perf_counter()
        ledger.repository.get(_sequence_id(ledger, agency))
        return (time.perf_counter() - t0) * 1000


class Grower:
    """A long-lived ledger opening cases in one agency-year, as a warm worker does."""

    def __init__(self, settings: Settings, ledger_class: type[Ledger]):
        self.ledger = ledger_class(env=ledger_env(settings, create_tables=False))
        self.cases = Investigations(CommandRunner(self.ledger))

    def version(self) -> int:
        return int(self.ledger.repository.get(_sequence_id(self.ledger, AGENCY)).version)

    def grow_to(self, version: int) -> None:
        """Open cases until the sequence is at `version` (Started is version 1, each case adds one)."""
        for _ in range(version - self.version()):
            _open(self.cases, AGENCY)

    def to_tail(self, tail: int, interval: int) -> int:
        """Open cases until `tail` events follow the last snapshot; returns the sequence's version."""
        version = self.version()
        self.grow_to(version + (tail - version % interval) % interval)
        return self.version()


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median": statistics.median(ordered), "mean": statistics.fmean(ordered), "min": ordered[0],
            "p95": ordered[max(0, round(0.95 * len(ordered)) - 1)], "max": ordered[-1], "n": len(ordered)}


def measure(settings: Settings, cases: int, repeat: int, interval: int | None,
            say: Callable[[str], None]) -> dict[str, Any]:
    """Cold openings and loads before and after the agency-year grows to `cases` cases."""
    snapshotting = with_interval(interval)
    every = snapshotting.snapshotting_intervals[CaseNumberSequence]
    rows: dict[str, dict[str, float]] = {}
    firsts = [AGENCY] + [f"X{i:02d}" for i in range(1, 2 * repeat)]
    for warm_up in ("W01", "W02"):  # the process's first use case pays for imports and caches, not for loading
        cold_open(settings, warm_up, snapshotting)
    rows["first open"] = _stats([cold_open(settings, a, snapshotting) for a in firsts[:repeat]])
    rows["first open, none"] = _stats([cold_open(settings, a, WithoutSnapshots) for a in firsts[repeat:]])

    grower = Grower(settings, snapshotting)
    try:
        t0 = time.perf_counter()
        grower.grow_to(cases + 1)
        grown = time.perf_counter() - t0
        say(f"  {cases:,} cases in {grown:.1f} s ({cases / grown:,.0f} openings/s, warm ledger)")
        # Every position in a snapshot interval once: a fresh worker's first opening lands at any of them.
        start = grower.version()
        rows["open after"] = _stats([cold_open(settings, AGENCY, snapshotting) for _ in range(every)])
        rows["open after, none"] = _stats([cold_open(settings, AGENCY, WithoutSnapshots) for _ in range(repeat)])
        versions = {"open": (start, grower.version())}
        for name, tail in (("worst", every - 1), ("best", 0)):
            versions[name] = (grower.to_tail(tail, every),) * 2
            rows[f"load {name}"] = _stats([cold_load(settings, AGENCY, snapshotting) for _ in range(repeat)])
            rows[f"load {name}, none"] = _stats([cold_load(settings, AGENCY, WithoutSnapshots) for _ in range(repeat)])
    finally:
        grower.ledger.close()
    first = rows["first open"]["median"]
    return {"rows": rows, "versions": versions, "grow_seconds": grown, "interval": every,
            "ratio": rows["open after"]["median"] / first, "ratio_mean": rows["open after"]["mean"] / first,
            "ratio_max": rows["open after"]["max"] / first, "ratio_none": rows["open after, none"]["median"] / first}


def markdown(store: str, cases: int, repeat: int, r: dict[str, Any]) -> str:
    rows, v, every = r["rows"], r["versions"], r["interval"]

    def ms(name: str) -> str:
        m = rows[name]
        return f"{m['median']:.2f} ({m['min']:.2f}-{m['max']:.2f})"

    after = rows["open after"]
    lines = [
        f"### {store}: {cases:,} cases in one agency-year; sequence snapshotted every {every} events",
        "",
        "| cold, on a new ledger (ms: median (min-max)) | sequence version | with snapshots | without snapshots |",
        "|---|---:|---:|---:|",
        f"| open the agency-year's first case ({repeat} agencies) | 0 | {ms('first open')} | "
        f"{ms('first open, none')} |",
        f"| open a case after {cases:,} ({every} in a row; {repeat} without) | {v['open'][0]:,}-{v['open'][1]:,} | "
        f"{ms('open after')}; mean {after['mean']:.2f}, p95 {after['p95']:.2f} | {ms('open after, none')} |",
        f"| load the sequence, {every - 1} events past a snapshot ({repeat}x) | {v['worst'][0]:,} | "
        f"{ms('load worst')} | {ms('load worst, none')} |",
        f"| load the sequence at a snapshot ({repeat}x) | {v['best'][0]:,} | {ms('load best')} | "
        f"{ms('load best, none')} |",
        "",
        f"Cold open after / first: {r['ratio']:.2f} (median), {r['ratio_mean']:.2f} (mean), {r['ratio_max']:.2f} "
        f"(slowest); without snapshots {r['ratio_none']:.1f}. Growing to {cases:,} cases took "
        f"{r['grow_seconds']:.0f} s on a warm ledger.",
    ]
    return "\n".join(lines)


def run(store: str, cases: int, repeat: int, interval: int | None) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="pathways-cold-open-")
    schema = f"bench_{secrets.token_hex(4)}"
    env = {"PATHWAYS_STORE": store, "PATHWAYS_DATA_DIR": tmp, "PATHWAYS_AUTH_DEV_SECRET": secrets.token_hex(16)}
    if store == "postgres":
        env.update(PG, POSTGRES_SCHEMA=schema)
    settings = Settings.from_env(env)
    try:
        bootstrap.migrate(settings)
        return measure(settings, cases, repeat, interval, lambda line: print(line, flush=True))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if store == "postgres":
            pg_exec(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            pg_exec(f'DROP SCHEMA IF EXISTS "{schema}_audit" CASCADE')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sequence-interval", type=int, default=None,
                        help="snapshot the sequence every N events instead of the ledger's interval")
    args = parser.parse_args()
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    failed = False
    for store in stores:
        print(f"{store}: growing one agency-year to {args.cases:,} cases ...", flush=True)
        result = run(store, args.cases, args.repeat, args.sequence_interval)
        print(markdown({"sqlite": "SQLite", "postgres": "PostgreSQL"}[store], args.cases, args.repeat, result))
        print(flush=True)
        failed |= result["ratio"] > 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
