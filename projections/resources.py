"""The register of resources and what operations asked of them, folded from the ledger."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import combinations
from typing import Any

from eventsourcing.utils import get_topic

from domain.deconfliction import MAX_WINDOW
from domain.operation import Operation
from domain.resource import Resource, ResourceRequest, overlaps
from projections.projection import CLEAR, ColumnCipher, Projection, Rows

RESOURCES = "resources"
REQUESTS = "resource_requests"
OPERATIONS = "resource_operations"
DAYS = "resource_days"
CLASHES = "resource_clashes"
# A resource's name can say more than it should (a unit, a call sign): sealed with a key like case text.
ENCRYPTED = {(RESOURCES, "name")}
# The operations whose commitments count: those still going ahead (as domain.operation.DECONFLICTED).
_ENDED = (Operation.Completed, Operation.Cancelled, Operation.Withdrawn)
_COUNTERS = ("resources", "personnel", "operations")
# The pending requests shown one by one, soonest first; the view counts them all (a month of a busy region holds
# thousands: a coordinator narrows the days or the agency to see the rest).
PENDING_SHOWN = 200


class ResourceRegister(Projection):
    """Answers: which resources each agency has; what was asked of whom for which operation, and the answer; how
    much is committed each day, and which resources are held by two operations at once.

    A request keeps its operation's window and whether the operation still goes ahead (`live`), so that the
    commitments view reads one table; the day totals are kept as commitments come and go, so that a month's view
    reads a few hundred rows, not every commitment in it.
    """

    name = "resources"
    version = 2  # 2: requests keep their operation's window; day totals and clashes kept as they change
    tables = (CLASHES, DAYS, OPERATIONS, REQUESTS, RESOURCES)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {RESOURCES} (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, agency TEXT NOT NULL, "
        "kind TEXT NOT NULL, name TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {RESOURCES}_agency ON {RESOURCES} (agency, seq)",
        f"CREATE TABLE IF NOT EXISTS {REQUESTS} (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, "
        "operation_id TEXT NOT NULL, requested_by TEXT NOT NULL, deconfliction_number TEXT NOT NULL, "
        "resource_id TEXT, agency TEXT NOT NULL, kind TEXT NOT NULL, count BIGINT NOT NULL, status TEXT NOT NULL, "
        "version BIGINT NOT NULL, starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, live INTEGER NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {REQUESTS}_operation ON {REQUESTS} (operation_id)",
        f"CREATE INDEX IF NOT EXISTS {REQUESTS}_resource ON {REQUESTS} (resource_id, status)",
        f"CREATE INDEX IF NOT EXISTS {REQUESTS}_pending ON {REQUESTS} (status, starts_at, ends_at)",
        f"CREATE TABLE IF NOT EXISTS {OPERATIONS} (id TEXT PRIMARY KEY, starts_at TEXT NOT NULL, "
        "ends_at TEXT NOT NULL, live INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {DAYS} (day TEXT NOT NULL, agency TEXT NOT NULL, kind TEXT NOT NULL, "
        "resources BIGINT NOT NULL, personnel BIGINT NOT NULL, operations BIGINT NOT NULL, "
        "PRIMARY KEY (day, agency, kind))",
        f"CREATE TABLE IF NOT EXISTS {CLASHES} (request_id TEXT NOT NULL, other_id TEXT NOT NULL, "
        "PRIMARY KEY (request_id, other_id))",
        f"CREATE INDEX IF NOT EXISTS {CLASHES}_other ON {CLASHES} (other_id)",
    )
    topics = frozenset(get_topic(cls) for cls in (
        Resource.Registered, ResourceRequest.Requested, ResourceRequest.Committed, ResourceRequest.Declined,
        Operation.Planned, Operation.RecordedLate, Operation.Amended, *_ENDED))

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        key = {"id": str(event.originator_id)}
        if isinstance(event, Resource.Registered):
            rows.upsert(RESOURCES, ("id",), {**key, "seq": position, "agency": event.owning_agency,
                                             "kind": event.kind,
                                             "name": self.cipher.encrypt(event.name, f"{RESOURCES}.name")})
        elif isinstance(event, ResourceRequest.Requested):
            op = rows.find(OPERATIONS, {"id": event.operation_id})
            window = {"starts_at": op["starts_at"], "ends_at": op["ends_at"], "live": op["live"]} if op else {
                "starts_at": "", "ends_at": "", "live": 0}
            rows.upsert(REQUESTS, ("id",), {
                **key, "seq": position, "operation_id": event.operation_id, "requested_by": event.owning_agency,
                "deconfliction_number": event.deconfliction_number, "resource_id": event.resource_id,
                "agency": event.resource_agency, "kind": event.kind, "count": event.count, "status": "requested",
                "version": event.originator_version, **window})
        elif isinstance(event, (ResourceRequest.Committed, ResourceRequest.Declined)):
            self._answered(event, rows)
        elif isinstance(event, (Operation.Planned, Operation.RecordedLate)):
            rows.upsert(OPERATIONS, ("id",), {**key, **_window_of(event.plan), "live": 1})
        else:
            self._operation_changed(event, rows)

    def _answered(self, event: Any, rows: Rows) -> None:
        key = {"id": str(event.originator_id)}
        committed = isinstance(event, ResourceRequest.Committed)
        rows.update(REQUESTS, key, {"status": "committed" if committed else "declined",
                                    "version": event.originator_version})
        request = rows.find(REQUESTS, key)
        if committed and request is not None and request["live"]:
            _count(rows, request, +1)
            _find_clashes(rows, request)

    def _operation_changed(self, event: Any, rows: Rows) -> None:
        """An operation moved (its commitments move with it) or ended (they no longer count)."""
        op_key = {"id": str(event.originator_id)}
        op = rows.find(OPERATIONS, op_key)
        if op is None or not op["live"]:
            return
        held = [r for r in rows.find_all(REQUESTS, {"operation_id": op_key["id"]}) if r["status"] == "committed"]
        for request in held:
            _count(rows, request, -1)
            _forget_clashes(rows, request)
        if isinstance(event, _ENDED):
            rows.update(OPERATIONS, op_key, {"live": 0})
            rows.update(REQUESTS, {"operation_id": op_key["id"]}, {"live": 0})
            return
        window = _window_of(event.plan)
        rows.update(OPERATIONS, op_key, window)
        rows.update(REQUESTS, {"operation_id": op_key["id"]}, window)
        for request in held:
            moved = {**request, **window}
            _count(rows, moved, +1)
            _find_clashes(rows, moved)


def _window_of(plan: dict[str, Any]) -> dict[str, str]:
    return {"starts_at": plan["starts_at"].isoformat(), "ends_at": plan["ends_at"].isoformat()}


def _days(request: dict[str, Any]) -> list[str]:
    """The UTC days a request's operation covers, from the day it starts to the day it ends."""
    day, last = (datetime.fromisoformat(request["starts_at"]).date(),
                 datetime.fromisoformat(request["ends_at"]).date())
    found = []
    while day <= last:
        found.append(day.isoformat())
        day += timedelta(days=1)
    return found


def _count(rows: Rows, request: dict[str, Any], sign: int) -> None:
    """Add a commitment to (or take it off) the totals of each day of its operation."""
    named = request["resource_id"] is not None
    amounts = {"resources": request["count"] if named else 0, "personnel": 0 if named else request["count"],
               "operations": 1}
    for day in _days(request):
        rows.execute(_ADD_TO_DAY, [day, request["agency"], request["kind"], *(sign * amounts[c] for c in _COUNTERS)])


def _find_clashes(rows: Rows, request: dict[str, Any]) -> None:
    """Record each other commitment of the same named resource, still going ahead, whose window overlaps."""
    if request["resource_id"] is None:
        return
    for other in rows.find_all(REQUESTS, {"resource_id": request["resource_id"], "status": "committed"}):
        if other["id"] != request["id"] and other["live"] and overlaps(*_window(request), *_window(other)):
            low, high = sorted((request["id"], other["id"]))
            rows.upsert(CLASHES, ("request_id", "other_id"), {"request_id": low, "other_id": high})


def _forget_clashes(rows: Rows, request: dict[str, Any]) -> None:
    rows.delete(CLASHES, {"request_id": request["id"]})
    rows.delete(CLASHES, {"other_id": request["id"]})


_ADD_TO_DAY = (
    f"INSERT INTO {DAYS} (day, agency, kind, {', '.join(_COUNTERS)}) VALUES (?, ?, ?, ?, ?, ?) "
    f"ON CONFLICT (day, agency, kind) DO UPDATE SET "
    + ", ".join(f"{c} = {DAYS}.{c} + excluded.{c}" for c in _COUNTERS)
)
_POINTED = ("r.id, r.resource_id, r.agency, r.kind, r.count, r.operation_id, r.requested_by AS operation_agency, "
            "r.deconfliction_number, r.starts_at, r.ends_at")


class ResourceQuery:
    """Reads the register: every agency sees every resource (kind, name, agency), to ask for it."""

    def __init__(self, db: Any, runner: Any, cipher: ColumnCipher = CLEAR):
        self.db = db
        self.runner = runner
        self.cipher = cipher

    def wait_for(self, position: int, timeout: float) -> bool:
        return self.runner.wait_for(ResourceRegister.name, position, timeout)

    def commitments(self, *, first: date, last: date, agency: str | None,
                    reader: str) -> dict[str, Any]:
        """Who is committed where from `first` to `last`: per day, agency asked and resource kind; requests still
        pending; named resources committed to operations whose windows overlap. Operations are pointers (agency,
        deconfliction number, window), with their ids only for the `reader`'s own agency. Pending requests: the
        soonest PENDING_SHOWN, and how many there are."""
        mine, agency_params = (" AND agency = ?", [agency]) if agency is not None else ("", [])
        # No operation lasts longer than MAX_WINDOW: the lower bound on its start keeps the index range to the
        # window asked for, not every operation that ever started before its end.
        window = "r.starts_at >= ? AND r.starts_at < ? AND r.ends_at >= ? AND r.live = 1"
        bounds = [(first - MAX_WINDOW).isoformat(), (last + timedelta(days=1)).isoformat(), first.isoformat()]
        with self.db.transaction() as cur:
            days = cur.execute(
                f"SELECT day, agency, kind, {', '.join(_COUNTERS)} FROM {DAYS} WHERE day >= ? AND day <= ? "
                f"AND operations > 0{mine} ORDER BY day, agency, kind",
                [first.isoformat(), last.isoformat(), *agency_params]).fetchall()
            pending = cur.execute(
                f"SELECT {_POINTED} FROM {REQUESTS} r WHERE r.status = 'requested' AND {window}{mine} "
                f"ORDER BY r.starts_at, r.seq LIMIT ?", [*bounds, *agency_params, PENDING_SHOWN]).fetchall()
            pending_total = len(pending) if len(pending) < PENDING_SHOWN else cur.execute(
                f"SELECT COUNT(*) AS n FROM {REQUESTS} r WHERE r.status = 'requested' AND {window}{mine}",
                [*bounds, *agency_params]).fetchone()["n"]
            clashing = cur.execute(
                f"SELECT {_POINTED} FROM {REQUESTS} r WHERE r.id IN (SELECT request_id FROM {CLASHES} UNION "
                f"SELECT other_id FROM {CLASHES}) AND {window}{mine} ORDER BY r.starts_at, r.seq",
                [*bounds, *agency_params]).fetchall()
        return {"days": [{**r, **{c: int(r[c]) for c in _COUNTERS}} for r in days],
                "pending": [{"request_id": r["id"], "agency": r["agency"], "kind": r["kind"], "count": int(r["count"]),
                             "operation": _pointer(r, reader)} for r in pending],
                "pending_total": int(pending_total),
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

