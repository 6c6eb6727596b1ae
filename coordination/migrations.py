"""Versioned schema steps for our own tables: read models are rebuilt from the ledger, the audit store is
migrated in place (docs/architecture.md, "Migrations").

Each store keeps `schema_versions` (component, version, migrated_at): the read store one row per read model,
the audit store one per component migrated in place (the audit trail, the chain anchors; each named by its
table). A store made before versioning existed has no such table, and the tables it has count as version 1.
The ledger's own tables belong to the library, and its events to upcasting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from coordination import anchors, audit, signed_heads

VERSIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL, "
    "migrated_at TEXT NOT NULL)"
)
LOCK = "pathways-migrate"
LOCK_WAIT_SECONDS = 60.0
# Ordered (version, statements) per dialect, for what must never be rebuilt: every record is kept as stored.
IN_PLACE: Mapping[str, Mapping[str, Sequence[tuple[int, Sequence[str]]]]] = {
    audit.TABLE: audit.STEPS,
    anchors.TABLE: anchors.STEPS,
    signed_heads.TABLE: signed_heads.STEPS,
}
# Told after each batch a rebuilt read model folds: its name, the position reached, the head when it began.
Progress = Callable[[str, int, int], None]


class MigrationError(Exception):
    """The stores cannot be brought to this code's versions: another migration holds them, or they are newer."""


@dataclass(frozen=True)
class Change:
    """One component brought from one version to another (from 0: created)."""

    store: str  # "read" (rebuilt from the ledger) or "audit" (migrated in place)
    component: str
    from_version: int
    to_version: int
    folded: int | None = None  # a rebuilt read model: events folded here; None if the running worker folds it


class ReadModels(Protocol):
    """The projection runner, as migrations use it."""

    db: Any

    @property
    def projections(self) -> Mapping[str, Any]: ...  # each with `version` and `tables`

    def recreate(self, cur: Any, name: str) -> None: ...

    def refold(self, name: str, progress: Callable[[int, int], None] | None = None) -> int | None: ...


@contextmanager
def exclusive(db: Any, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the deployment's migration lock: one `pathways migrate` at a time changes its schemas and tables.

    A lock beside the SQLite files, a session advisory lock keyed by schema on PostgreSQL (free of any table,
    so it is taken before the schema exists). Concurrent CREATE ... IF NOT EXISTS fails there, the library's too.
    """
    deadline = time.monotonic() + wait
    while (lease := db.try_lead(LOCK)) is None:
        if time.monotonic() >= deadline:
            raise MigrationError(f"another `pathways migrate` has held the store for {wait:g} s; "
                                 "run this one again once it has finished")
        time.sleep(0.1)
    try:
        yield
    finally:
        lease.release()


def apply(read_models: ReadModels, audit_db: Any) -> list[Change]:
    """Bring each store's tables to this code's versions, each store in one transaction; folds nothing yet.

    The audit store goes first: if it cannot be migrated, no read model has been emptied.
    """
    return [*_migrate_in_place(audit_db), *_recreate_read_models(read_models)]


def refold(read_models: ReadModels, changes: list[Change], progress: Progress | None = None) -> list[Change]:
    """Fold the whole ledger into each read model that `apply` recreated; under the worker lease, once."""
    done = []
    for change in changes:
        if change.store == "read":
            report = None if progress is None else _named(progress, change.component)
            change = replace(change, folded=read_models.refold(change.component, report))
        done.append(change)
    return done


def _named(progress: Progress, name: str) -> Callable[[int, int], None]:
    return lambda position, head: progress(name, position, head)


def _migrate_in_place(db: Any) -> list[Change]:
    changes = []
    with db.transaction(write=True) as cur:
        stored = _versions(cur)
        for component, steps in IN_PLACE.items():
            ordered = steps[cur.dialect]
            latest = ordered[-1][0]
            current = stored.get(component, 1 if _exists(cur, component) else 0)
            if current > latest:
                raise MigrationError(f"the audit store's {component} is at version {current}, newer than this "
                                     f"code's {latest}: it is never rebuilt, so run the release that wrote it")
            if current == latest:
                continue
            for version, statements in ordered:
                if version > current:
                    for statement in statements:
                        cur.execute(statement)
            _record(cur, component, latest)
            changes.append(Change("audit", component, current, latest))
    return changes


def _recreate_read_models(read_models: ReadModels) -> list[Change]:
    changes = []
    with read_models.db.transaction(write=True) as cur:
        stored = _versions(cur)
        for name, projection in read_models.projections.items():
            current = stored.get(name, 1 if any(_exists(cur, t) for t in projection.tables) else 0)
            if current == projection.version:
                continue
            # Derived data, any change (an older release's version too): emptied, and folded again afterwards.
            read_models.recreate(cur, name)
            _record(cur, name, projection.version)
            changes.append(Change("read", name, current, projection.version))
    return changes


def _versions(cur: Any) -> dict[str, int]:
    # A second migration reads the versions only once the first has committed its steps. (Not LOCK's name: the
    # migration holding LOCK on its own session would wait for itself here.)
    cur.serialise("schema_versions")
    cur.execute(VERSIONS_DDL)
    return {r["component"]: int(r["version"])
            for r in cur.execute("SELECT component, version FROM schema_versions").fetchall()}


def versions(db: Any) -> dict[str, int]:
    """The versions a store has recorded (none before its first versioned migration)."""
    with db.transaction() as cur:
        if not _exists(cur, "schema_versions"):
            return {}
        return {r["component"]: int(r["version"])
                for r in cur.execute("SELECT component, version FROM schema_versions").fetchall()}


def _record(cur: Any, component: str, version: int) -> None:
    cur.execute(
        "INSERT INTO schema_versions (component, version, migrated_at) VALUES (?, ?, ?) ON CONFLICT (component) "
        "DO UPDATE SET version = excluded.version, migrated_at = excluded.migrated_at",
        [component, version, datetime.now(UTC).isoformat()],
    )


def _exists(cur: Any, table: str) -> bool:
    if cur.dialect == "sqlite":
        found = cur.execute("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
    else:
        found = cur.execute("SELECT 1 AS found FROM information_schema.tables "
                            "WHERE table_schema = current_schema() AND table_name = ?", [table])
    return found.fetchone() is not None
