"""The register of resources and what operations asked of them, folded from the ledger."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import combinations
from typing import Any

from eventsourcing.utils import get_topic

from domain.deconfliction import MAX_WINDOW
from domain.resource import Resource, ResourceRequest, overlaps
from projections.deconfliction_board import OPERATIONS, DeconflictionBoard
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


_POINTED = ("r.id, r.resource_id, r.agency, r.kind, r.count, o.id AS operation_id, o.agency AS operation_agency, "
            "o.deconfliction_number, o.starts_at, o.ends_at")
# Committed requests added up per (first day, last day) of their operations' windows, agency asked and kind.
_TOTALS = (
    "SELECT substr(o.starts_at, 1, 10) AS first_day, substr(o.ends_at, 1, 10) AS last_day, r.agency, r.kind, "
    "SUM(CASE WHEN r.resource_id IS NULL THEN 0 ELSE r.count END) AS resources, "
    "SUM(CASE WHEN r.resource_id IS NULL THEN r.count ELSE 0 END) AS personnel, COUNT(*) AS operations "
    "{joined} AND r.status = 'committed' GROUP BY substr(o.starts_at, 1, 10), substr(o.ends_at, 1, 10), r.agency, "
    "r.kind"
)
# Named resources with a commitment that starts before an earlier one of theirs (in start order) has ended: held
# twice at once. Times are ISO 8601 in UTC, so they compare as text.
_HELD_TWICE = (
    "SELECT DISTINCT resource_id FROM (SELECT r.resource_id, o.starts_at, MAX(o.ends_at) OVER (PARTITION BY "
    "r.resource_id ORDER BY o.starts_at, r.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach "
    "{joined} AND r.status = 'committed' AND r.resource_id IS NOT NULL) held WHERE reach > starts_at"
)


class ResourceQuery:
    """Reads the register: every agency sees every resource (kind, name, agency), to ask for it."""

    def __init__(self, db: Any, runner: Any, cipher: ColumnCipher = CLEAR):
        self.db = db
        self.runner = runner
        self.cipher = cipher

    def wait_for(self, position: int, timeout: float) -> bool:
        # The commitments view reads the board's operations (their windows as they stand) beside the requests.
        return all(self.runner.wait_for(name, position, timeout)
                   for name in (ResourceRegister.name, DeconflictionBoard.name))

    def commitments(self, *, first: date, last: date, agency: str | None,
                    reader: str) -> dict[str, Any]:
        """Who is committed where from `first` to `last`: per day, agency asked and resource kind; requests still
        pending; named resources committed to operations whose windows overlap. Operations are pointers (agency,
        deconfliction number, window), with their ids only for the `reader`'s own agency.

        Committed requests are added up by the store (a month holds ~20,000 of them) and only pending requests and
        the commitments of resources held twice at once come back one by one."""
        # No operation lasts longer than MAX_WINDOW: the lower bound on its start keeps the index range to the
        # window asked for, not every operation that ever started before its end.
        params: list[Any] = [first.isoformat(), (first - MAX_WINDOW).isoformat(),
                             (last + timedelta(days=1)).isoformat()]
        where = ("o.ends_at >= ? AND o.starts_at >= ? AND o.starts_at < ? "
                 "AND o.status IN ('planned', 'approved', 'started')")
        if agency is not None:
            where += " AND r.agency = ?"
            params.append(agency)
        joined = f"FROM {REQUESTS} r JOIN {OPERATIONS} o ON o.id = r.operation_id WHERE {where}"
        with self.db.transaction() as cur:
            totals = cur.execute(_TOTALS.format(joined=joined), params).fetchall()
            pending = cur.execute(f"SELECT {_POINTED} {joined} AND r.status = 'requested' ORDER BY o.starts_at, r.seq",
                                  params).fetchall()
            twice = [r["resource_id"] for r in cur.execute(_HELD_TWICE.format(joined=joined), params).fetchall()]
            clashing = cur.execute(
                f"SELECT {_POINTED} {joined} AND r.status = 'committed' AND r.resource_id IN "
                f"({', '.join('?' for _ in twice)}) ORDER BY o.starts_at, r.seq", [*params, *twice]).fetchall() \
                if twice else []
        return {"days": _per_day(totals, first, last),
                "pending": [{"request_id": r["id"], "agency": r["agency"], "kind": r["kind"], "count": int(r["count"]),
                             "operation": _pointer(r, reader)} for r in pending],
                "over_commitments": _over_committed(clashing, reader)}

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


def _window(row: Any) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(row["starts_at"]), datetime.fromisoformat(row["ends_at"])


def _pointer(row: Any, reader: str) -> dict[str, Any]:
    """An operation as the view shows it: whose, its number and window; its id only to its own agency."""
    starts, ends = _window(row)
    own = {"operation_id": row["operation_id"]} if row["operation_agency"] == reader else {}
    return {"agency": row["operation_agency"], "deconfliction_number": row["deconfliction_number"],
            "starts_at": starts, "ends_at": ends, **own}


def _per_day(totals: list[Any], first: date, last: date) -> list[dict[str, Any]]:
    """Per UTC day, agency asked and kind: how many named resources and how many people are committed (each total
    is of the commitments to operations from one day to another, counted on every day between)."""
    days: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: {"resources": 0, "personnel": 0,
                                                                           "operations": 0})
    for row in totals:
        day = max(date.fromisoformat(row["first_day"]), first)
        while day <= min(date.fromisoformat(row["last_day"]), last):
            total = days[day.isoformat(), row["agency"], row["kind"]]
            for counter in ("resources", "personnel", "operations"):
                total[counter] += int(row[counter])
            day += timedelta(days=1)
    return [{"day": day, "agency": agency, "kind": kind, **counts}
            for (day, agency, kind), counts in sorted(days.items())]


def _over_committed(committed: list[Any], reader: str) -> list[dict[str, Any]]:
    """Named resources committed to operations whose windows overlap (one amended into another's time after
    both were committed: a commit itself never allows it)."""
    by_resource: dict[str, list[Any]] = defaultdict(list)
    for row in committed:
        if row["resource_id"] is not None:
            by_resource[row["resource_id"]].append(row)
    found = []
    for resource_id, held in sorted(by_resource.items()):
        pairs = [(a, b) for a, b in combinations(held, 2) if overlaps(*_window(a), *_window(b))]
        clashing = {row["id"]: row for pair in pairs for row in pair}
        if clashing:
            found.append({"resource_id": resource_id, "agency": held[0]["agency"], "kind": held[0]["kind"],
                          "operations": [_pointer(r, reader) for r in clashing.values()]})
    return found

