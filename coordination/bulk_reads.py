"""Loads many aggregates of the ledger in one read: a check's index records, a pair's conflicts.

The library's repository reads one aggregate at a time, asking for its latest snapshot and then for the events
after it: two round trips per record. A deconfliction check loads some twenty index records, so on PostgreSQL
that was most of its time (docs/benchmarks.md). Here one statement per store reads the latest snapshot of
every id asked for and the events after it, and the aggregates are projected from them as the repository
would, without the per-event runtime Protocol check its projector makes (17 µs an event on Python 3.11), and
without decoding the events that change nothing but a record's version.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, OriginatorVersionError
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic
from psycopg.sql import SQL, Identifier

# The ids' latest snapshot versions first, then a range on the primary key per id: a correlated bound in the
# outer WHERE would make SQLite read every event of each record and filter them.
_SQLITE = """
WITH k(id) AS (VALUES {ids}),
snap(id, v) AS (SELECT id, (SELECT MAX(originator_version) FROM {snapshots} WHERE originator_id = k.id) FROM k)
SELECT 1 AS snap, s.originator_id, s.originator_version, s.topic, s.state FROM snap
  JOIN {snapshots} s ON s.originator_id = snap.id AND s.originator_version = snap.v
UNION ALL
SELECT 0, e.originator_id, e.originator_version, e.topic, e.state FROM snap
  JOIN {events} e ON e.originator_id = snap.id AND e.originator_version > COALESCE(snap.v, 0)
"""

# One index probe per id, whatever the planner estimates: a lateral subquery on the primary key, not a join
# the planner may turn into a scan of the whole log when its statistics are stale (seen after a bulk load).
_POSTGRES = SQL("""
WITH snap AS (
  SELECT k.id, s.originator_version, s.topic, s.state FROM unnest(%(ids)s) AS k(id)
  LEFT JOIN LATERAL (SELECT originator_version, topic, state FROM {schema}.{snapshots}
                      WHERE originator_id = k.id ORDER BY originator_version DESC LIMIT 1) s ON true)
SELECT 1 AS snap, id AS originator_id, originator_version, topic, state FROM snap WHERE topic IS NOT NULL
UNION ALL
SELECT 0, e.originator_id, e.originator_version, e.topic, e.state FROM snap
 CROSS JOIN LATERAL (SELECT originator_id, originator_version, topic, state FROM {schema}.{events}
                      WHERE originator_id = snap.id AND originator_version > COALESCE(snap.originator_version, 0)) e
""")


def load_many(ledger: Any, ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
    """The current state of each aggregate found among `ids` (those never saved are absent)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = _select(ledger, wanted)
    by_id: dict[UUID, list[tuple[int, int, StoredEvent]]] = defaultdict(list)
    for row in rows:
        aggregate_id = _uuid(row["originator_id"])
        stored = StoredEvent(originator_id=aggregate_id, originator_version=row["originator_version"],
                             topic=row["topic"], state=row["state"])
        # A snapshot sorts before the events after it, and those in their order.
        by_id[aggregate_id].append((0 if row["snap"] else 1, stored.originator_version, stored))
    found = {}
    for aggregate_id, stored_rows in by_id.items():
        aggregate = None
        for _, _, stored in sorted(stored_rows, key=lambda r: (r[0], r[1])):
            if aggregate is not None and _changes_only_version(stored.topic):
                _count(aggregate, stored)
            else:
                aggregate = ledger.mapper.to_domain_event(stored).mutate(aggregate)
        if aggregate is not None:
            found[aggregate_id] = aggregate
    return found


@functools.cache
def _changes_only_version(topic: str) -> bool:
    return getattr(resolve_topic(topic), "changes_only_version", False)


def _count(aggregate: Aggregate, stored: StoredEvent) -> None:
    """An event that changes nothing but the version, counted undecoded (AreaIndex.Checked: most of an index
    record's events). Its time is not decoded either, so the record's modified_on stays at its last change."""
    if stored.originator_version != aggregate.version + 1:
        raise OriginatorVersionError(stored.originator_version, aggregate.version + 1)
    aggregate.version = stored.originator_version


def _select(ledger: Any, ids: list[UUID]) -> list[Any]:
    events, snapshots = ledger.recorder, ledger.snapshots.recorder
    datastore = events.datastore
    if hasattr(datastore, "schema"):  # PostgreSQL
        statement = _POSTGRES.format(schema=Identifier(datastore.schema),
                                     events=Identifier(events.events_table_name),
                                     snapshots=Identifier(snapshots.events_table_name))
        with datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(statement, {"ids": ids}, prepare=True)
            return cursor.fetchall()
    marks = ",".join(["(?)"] * len(ids))
    text = _SQLITE.format(events=events.events_table_name, snapshots=snapshots.events_table_name, ids=marks)
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(text, [i.hex for i in ids])
        return cursor.fetchall()


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)
