"""The register of resources and what operations asked of them, folded from the ledger."""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from domain.resource import Resource, ResourceRequest
from projections.projection import CLEAR, ColumnCipher, Projection, Rows

RESOURCES = "resources"
REQUESTS = "resource_requests"
# A resource's name can say more than it should (a unit, a call sign): sealed with a key like case text.
ENCRYPTED = {(RESOURCES, "name")}


class ResourceRegister(Projection):
    """Answers: which resources each agency has; what was asked of whom for which operation, and the answer."""

    name = "resources"
    tables = (REQUESTS, RESOURCES)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {RESOURCES} (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, agency TEXT NOT NULL, "
        "kind TEXT NOT NULL, name TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {RESOURCES}_agency ON {RESOURCES} (agency, seq)",
        f"CREATE TABLE IF NOT EXISTS {REQUESTS} (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, "
        "operation_id TEXT NOT NULL, requested_by TEXT NOT NULL, deconfliction_number TEXT NOT NULL, "
        "resource_id TEXT, agency TEXT NOT NULL, kind TEXT NOT NULL, count BIGINT NOT NULL, status TEXT NOT NULL, "
        "version BIGINT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {REQUESTS}_operation ON {REQUESTS} (operation_id)",
        f"CREATE INDEX IF NOT EXISTS {REQUESTS}_agency ON {REQUESTS} (agency, status)",
    )
    topics = frozenset(get_topic(cls) for cls in (Resource.Registered, ResourceRequest.Requested,
                                                  ResourceRequest.Committed, ResourceRequest.Declined))

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        key = {"id": str(event.originator_id)}
        if isinstance(event, Resource.Registered):
            rows.upsert(RESOURCES, ("id",), {**key, "seq": position, "agency": event.owning_agency,
                                             "kind": event.kind,
                                             "name": self.cipher.encrypt(event.name, f"{RESOURCES}.name")})
        elif isinstance(event, ResourceRequest.Requested):
            rows.upsert(REQUESTS, ("id",), {
                **key, "seq": position, "operation_id": event.operation_id, "requested_by": event.owning_agency,
                "deconfliction_number": event.deconfliction_number, "resource_id": event.resource_id,
                "agency": event.resource_agency, "kind": event.kind, "count": event.count, "status": "requested",
                "version": event.originator_version})
        else:
            status = "committed" if isinstance(event, ResourceRequest.Committed) else "declined"
            rows.update(REQUESTS, key, {"status": status, "version": event.originator_version})


class ResourceQuery:
    """Reads the register: every agency sees every resource (kind, name, agency), to ask for it."""

    def __init__(self, db: Any, runner: Any, cipher: ColumnCipher = CLEAR):
        self.db = db
        self.runner = runner
        self.cipher = cipher

    def wait_for(self, position: int, timeout: float) -> bool:
        return self.runner.wait_for(ResourceRegister.name, position, timeout)

    def resources(self, *, agency: str | None, kind: str | None, before: int | None,
                  limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """A page of resources, newest first, by agency and kind; and the cursor of the next page."""
        where, params = ["1 = 1"], []
        for clause, value in (("agency = ?", agency), ("kind = ?", kind), ("seq < ?", before)):
            if value is not None:
                where.append(clause)
                params.append(value)
        with self.db.transaction() as cur:
            rows = cur.execute(f"SELECT * FROM {RESOURCES} WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?",
                               [*params, limit + 1]).fetchall()
        items = [{"id": r["id"], "kind": r["kind"], "name": self.cipher.decrypt(r["name"], f"{RESOURCES}.name"),
                  "agency": r["agency"]} for r in rows[:limit]]
        return items, (rows[limit - 1]["seq"] if len(rows) > limit else None)
