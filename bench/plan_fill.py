"""What bench/plan_latency.py puts in the store before planning: N active operations' index records and M registered
identifiers, written straight into the ledger (no HTTP), as the live path would have left them."""

from __future__ import annotations

import dataclasses
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from bench.workload import AGENCIES, BATCH_EVENTS, EPOCH, RULES, Placed, fill_ledger, placed, plan
from coordination import bootstrap
from coordination.config import Settings
from coordination.ledger import Ledger, ledger_env
from domain.deconfliction import TARGETS, footprint, index_cells
from domain.keys import NaturalKeys
from domain.target_index import TargetIndex
from domain.targets import identifier_digest, registration

PEOPLE_PER_CASE = 5
FIRST = ("james", "maria", "robert", "linda", "michael", "ana", "david", "sofia", "daniel", "laura", "jose",
         "emily", "carlos", "sarah", "luis", "olga", "kevin", "fatima", "ivan", "grace")
LAST = ("smith", "garcia", "johnson", "martinez", "brown", "lopez", "davis", "gonzalez", "miller", "wilson",
        "perez", "moore", "sanchez", "clark", "ramirez", "lewis", "torres", "walker", "rivera", "young")
DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "inbox.example")
PEOPLE_NS = UUID("2b7e1c4a-6d3f-4a8e-9c21-7f0e5d4b3a19")  # made-up subjects' and cases' ids (uuid5 under it)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def shifted(p: dict[str, Any], base: datetime) -> dict[str, Any]:
    """A deconfliction_query plan (its times from that bench's fixed EPOCH) moved to start from `base`."""
    delta = base - EPOCH
    return {**p, "starts_at": p["starts_at"] + delta, "ends_at": p["ends_at"] + delta}


def operation_entries(seed: int, count: int, base: datetime, horizon: timedelta) -> list[dict[str, Any]]:
    """`count` operations' AreaIndex entries, as Deconfliction.entry_of makes them; a few investigations plan
    several (G1 applies among them)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    investigation = str(UUID(int=rng.getrandbits(128), version=4))
    for n in range(count):
        if rng.random() < 0.6:
            investigation = str(UUID(int=rng.getrandbits(128), version=4))
        p = shifted(plan(rng, horizon), base)
        op_id = str(UUID(int=rng.getrandbits(128), version=4))
        entry = footprint(operation_id=op_id, investigation_id=investigation, agency=rng.choice(AGENCIES),
                          number=f"DX26-{n:04X}-F{n % 4096:03X}", plan=p, rule=RULES.of(p["kind"]))
        out.append({**entry, "ref": op_id, "role": "operation"})
    return out


def index_of(entries: list[dict[str, Any]]) -> Placed:
    """Every (cell, day) record with what each check wrote there (deconfliction_query.placed), and every
    (cell, "targets") record (empty: the Checked events plans add to them are not filled)."""
    by_key = placed(entries)
    cells = {cell for entry in entries for cell in index_cells(entry)}
    for cell in sorted(cells):
        by_key[cell, TARGETS] = []
    return dict(by_key)


_PHONE_MOD = 8_000_000_000  # ten-digit US numbers 2000000000..9999999999
_PHONE_STEP = 2_654_435_761  # coprime with _PHONE_MOD: n -> number is one-to-one


def identifier(n: int) -> dict[str, Any]:
    """Made-up identifier number n (normalised as normalise_identifier gives it): even a phone, odd an email."""
    person = n // 2
    if n % 2 == 0:
        return {"type": "phone", "value": f"+1{2_000_000_000 + person * _PHONE_STEP % _PHONE_MOD}", "country": None}
    first, last = FIRST[person % len(FIRST)], LAST[person // len(FIRST) % len(LAST)]
    return {"type": "email", "value": f"{first}.{last}{person}@{DOMAINS[person % len(DOMAINS)]}", "country": None}


def fill_targets(ledger: Ledger, keys: NaturalKeys, digest_key: bytes, count: int, now: datetime,
                 progress: Any, batch_events: int) -> int:
    """`count` TargetIndex records, one registration entry each, saved in batches of ~batch_events events."""
    rng = random.Random(4242)
    batch: list[TargetIndex] = []
    events = 0
    for n in range(count):
        ident = identifier(n)
        person = n // 2
        case = person // PEOPLE_PER_CASE
        registered = now - timedelta(days=rng.uniform(0, 700))
        entry = registration(
            ref=str(uuid5(PEOPLE_NS, f"subject:{person}")), investigation_id=str(uuid5(PEOPLE_NS, f"case:{case}")),
            agency=AGENCIES[case % len(AGENCIES)], number=f"DX25-{case:04X}-{person % 65536:04X}",
            point_of_contact={"name": f"Agent {case % 10_000}", "phone": f"+1 555 {case % 1000:03d} 0100",
                              "email": None},
            identifier_type=ident["type"], now=registered)
        record = TargetIndex.start(id=keys.target(identifier_digest(digest_key, ident)))
        record.enter(entry)
        batch.append(record)
        if 2 * len(batch) >= batch_events:
            ledger.save(*batch)
            events += 2 * len(batch)
            batch = []
            progress(n + 1, events)
    if batch:
        ledger.save(*batch)
        events += 2 * len(batch)
        progress(count, events)
    return events


def fill_areas(ledger: Ledger, keys: NaturalKeys, by_key: Placed,
               progress: Any, batch_events: int) -> int:
    """deconfliction_query's fill_ledger, fed in slices so that progress can be told."""
    items = list(by_key.items())
    events = 0
    step = max(1, len(items) // 20)
    for start in range(0, len(items), step):
        events += fill_ledger(ledger, keys, dict(items[start:start + step]), batch_events)
        progress(min(len(items), start + step), events)
    return events


def fill_store(store: str, settings: Settings, by_key: Placed,
               identifiers: int, result: dict[str, Any]) -> bytes:
    """Migrate, establish the deployment, fill; returns the digest key."""
    t0 = time.perf_counter()
    bootstrap.migrate(settings)
    services = bootstrap.build(settings)
    try:
        keys = services.operations.runner.keys()
    finally:
        services.close()
    digest_key = settings.deconfliction_key or keys.matching
    result["migrate_seconds"] = round(time.perf_counter() - t0, 1)
    # The filler's saves are big: a store wait of 30 s, not a request's 2 s; no aggregate cache.
    filler = Ledger(env=ledger_env(dataclasses.replace(settings, store_wait=30.0, aggregate_cache_size=0),
                                   create_tables=False))
    try:
        t0 = time.perf_counter()
        records = len(by_key)

        def area_progress(done: int, events: int) -> None:
            rate = events / max(1e-9, time.perf_counter() - t0)
            say(f"  [{store}] AreaIndex {done:,}/{records:,} records, {events:,} events ({rate:,.0f} events/s)")

        result["area_events"] = fill_areas(filler, keys, by_key, area_progress, BATCH_EVENTS[store])
        result["area_records"] = records
        result["area_fill_seconds"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        last = [0.0]

        def target_progress(done: int, events: int) -> None:
            if time.perf_counter() - last[0] >= 10 or done == identifiers:
                last[0] = time.perf_counter()
                rate = done / max(1e-9, time.perf_counter() - t0)
                say(f"  [{store}] TargetIndex {done:,}/{identifiers:,} identifiers ({rate:,.0f}/s)")

        now = datetime.now(UTC)
        result["target_events"] = fill_targets(filler, keys, digest_key, identifiers, now, target_progress,
                                               BATCH_EVENTS[store])
        result["target_records"] = identifiers
        result["target_fill_seconds"] = round(time.perf_counter() - t0, 1)
        result["log_position"] = filler.max_position()
    finally:
        filler.close()
    t0 = time.perf_counter()
    result["store_bytes"] = settle_store(store, settings)
    result["vacuum_seconds"] = round(time.perf_counter() - t0, 1)
    return digest_key


def settle_store(store: str, settings: Settings) -> int:
    """After a fill, what a running deployment would have done by itself: PostgreSQL's tables vacuumed and analysed,
    SQLite's log checkpointed into the ledger. Returns the ledger's size in bytes."""
    if store == "postgres":
        pg = settings.postgres
        assert pg is not None
        import psycopg

        with psycopg.connect(dbname=pg.dbname, host=pg.host, port=pg.port, user=pg.user, password=pg.password,
                             autocommit=True) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (pg.schema,)).fetchall()]
            for table in tables:
                conn.execute(f'VACUUM ANALYZE "{pg.schema}"."{table}"')
            return int(conn.execute(
                "SELECT sum(pg_total_relation_size(format('%%I.%%I', schemaname, tablename))) FROM pg_tables "
                "WHERE schemaname = %s", (pg.schema,)).fetchone()[0])
    db = sqlite3.connect(settings.data_dir / "ledger.db")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return (settings.data_dir / "ledger.db").stat().st_size
