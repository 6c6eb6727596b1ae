"""Chain heads kept outside the ledger, so that deleting a case's newest events is detected too."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from coordination.errors import StoreUnavailable

log = logging.getLogger(__name__)
TABLE = "chain_heads"
DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (aggregate_id TEXT PRIMARY KEY, version BIGINT NOT NULL, "
    "digest TEXT NOT NULL, recorded_at TEXT NOT NULL)",
)
# Migrated in place like the audit trail beside it (coordination/migrations.py): a head is evidence, not derived.
STEPS = {"sqlite": ((1, DDL),), "postgres": ((1, DDL),)}


def write_heads(cur: Any, heads: list[tuple[UUID, int, str]]) -> None:
    """Upsert each head in the caller's transaction; an older head never replaces a newer one."""
    now = datetime.now(UTC).isoformat()
    for aggregate_id, version, digest in heads:
        cur.execute(
            f"INSERT INTO {TABLE} (aggregate_id, version, digest, recorded_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (aggregate_id) DO UPDATE SET version = excluded.version, "
            f"digest = excluded.digest, recorded_at = excluded.recorded_at WHERE {TABLE}.version < excluded.version",
            [str(aggregate_id), version, digest, now],
        )


class ChainAnchors:
    """The last digest each hash-chained aggregate reached, kept in the audit store (a separate store)."""

    def __init__(self, db: Any, *, unavailable: tuple[type[Exception], ...] = ()):
        self.db = db
        self.unavailable = unavailable

    def anchor(self, heads: list[tuple[UUID, int, str]]) -> None:
        """Record each aggregate's new head; an older head never replaces a newer one.

        A failure is logged, not raised: the write it anchors is already committed, and the chain itself
        still detects edits; only the end of the chain goes unguarded until the next anchored write.
        """
        if not heads:
            return
        try:
            with self.db.transaction(write=True) as cur:
                write_heads(cur, heads)
        except self.unavailable:
            log.warning("could not anchor chain heads %s", [str(h[0]) for h in heads], exc_info=True)

    def anchored(self, aggregate_id: UUID) -> tuple[int, str] | None:
        """The version and digest the aggregate's chain was last anchored at, if it ever was."""
        try:
            with self.db.transaction() as cur:
                row = cur.execute(f"SELECT version, digest FROM {TABLE} WHERE aggregate_id = ?",
                                  [str(aggregate_id)]).fetchone()
        except self.unavailable as error:
            raise StoreUnavailable("the audit store, which keeps the chain anchors, is unreachable") from error
        return None if row is None else (int(row["version"]), row["digest"])
