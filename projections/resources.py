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
CALENDAR = "resource_calendar"
# A resource's name can say more than it should (a unit, a call sign): sealed with a key like case text.
ENCRYPTED = {(RESOURCES, "name")}
# An operation called off commits nothing; a completed one did hold what was committed to it, on its days, but is
# no longer going ahead (`live`: as domain.operation.DECONFLICTED), so it asks nothing and clashes with nothing.
_CALLED_OFF = (Operation.Cancelled, Operation.Withdrawn)
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
    # 2: requests keep their operation's window; day totals and clashes kept as they change. 3: the requests of a
    # resource indexed by status and start.
    version = 3
    tables = (CALENDAR, CLASHES, DAYS, OPERATIONS, REQUESTS, RESOURCES)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {RESOURCES} (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, agency TEXT NOT NULL, "
        "kind TEXT NOT NULL, name TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {RESOURCES}_agency ON {RESOURCES} (agency, seq)",
        f"CREATE TABLE IF NOT EXISTS {REQUESTS} (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, "
        "operation_id TEXT NOT NULL, requested_by TEXT NOT NULL, deconfliction_number TEXT NOT NULL, "
        "resource_id TEXT, agency TEXT NOT NULL, kind TEXT NOT NULL, count BIGINT NOT NULL, status TEXT NOT NULL, "
        "version BIGINT NOT NULL, starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, live INTEGER NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {REQUESTS}_operation ON {REQUESTS} (operation_id)",
        # Resource, status and start: a commitment's clashes are looked up among its resource's only (with the
        # start in it, SQLite prefers this index to the pending one, which would read every earlier commitment).
        f"CREATE INDEX IF NOT EXISTS {REQUESTS}_resource ON {REQUESTS} (resource_id, status, starts_at)",
        f"CREATE INDEX IF NOT EXISTS {REQUESTS}_pending ON {REQUESTS} (status, starts_at, ends_at)",
        f"CREATE TABLE IF NOT EXISTS {OPERATIONS} (id TEXT PRIMARY KEY, starts_at TEXT NOT NULL, "
        "ends_at TEXT NOT NULL, live INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {DAYS} (day TEXT NOT NULL, agency TEXT NOT NULL, kind TEXT NOT NULL, "
        "resources BIGINT NOT NULL, personnel BIGINT NOT NULL, operations BIGINT NOT NULL, "
        "PRIMARY KEY (day, agency, kind))",
        f"CREATE TABLE IF NOT EXISTS {CLASHES} (request_id TEXT NOT NULL, other_id TEXT NOT NULL, "
        "PRIMARY KEY (request_id, other_id))",
        f"CREATE INDEX IF NOT EXISTS {CLASHES}_other ON {CLASHES} (other_id)",
        # Every day some operation covers: what the totals are spread over, in SQL.
        f"CREATE TABLE IF NOT EXISTS {CALENDAR} (day TEXT PRIMARY KEY)",
    )
    topics = frozenset(get_topic(cls) for cls in (
        Resource.Registered, ResourceRequest.Requested, ResourceRequest.Committed, ResourceRequest.Declined,
        Operation.Planned, Operation.RecordedLate, Operation.Amended, Operation.Completed, *_CALLED_OFF))

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        key = {"id": str(event.originator_id)}
        if isinstance(event, Resource.Registered):
            rows.upsert(RESOURCES, ("id",), {**key, "seq": position, "agency": event.owning_agency,
                                             "kind": event.kind,
                                             "name": self.cipher.encrypt(event.name, f"{RESOURCES}.name")})
        elif isinstance(event, ResourceRequest.Requested):
            # The operation's window and whether it goes ahead are read by the statement itself: no read back.
            rows.execute(_REQUESTED, [
                key["id"], position, event.operation_id, event.owning_agency, event.deconfliction_number,
                event.resource_id, event.resource_agency, event.kind, event.count, event.originator_version,
                event.operation_id])
        elif isinstance(event, (ResourceRequest.Committed, ResourceRequest.Declined)):
            self._answered(event, rows)
        elif isinstance(event, (Operation.Planned, Operation.RecordedLate)):
            rows.upsert(OPERATIONS, ("id",), {**key, **_window_of(event.plan), "live": 1})
            _mark_days(rows, event.plan)
        else:
            self._operation_changed(event, rows)

    def _answered(self, event: Any, rows: Rows) -> None:
        key = {"id": str(event.originator_id)}
        committed = isinstance(event, ResourceRequest.Committed)
        rows.update(REQUESTS, key, {"status": "committed" if committed else "declined",
                                    "version": event.originator_version})
        if committed:
            # No clash to look for: a commit is refused while the resource is committed elsewhere at that time
            # (coordination/resources.py); only an amendment after both commits makes one.
            rows.execute(_COUNT_REQUEST, [+1, +1, +1, key["id"]])

    def _operation_changed(self, event: Any, rows: Rows) -> None:
        """An operation moved (its commitments move with it), was completed (they stay counted on its days) or was
        called off (they no longer count).

        Every step is a statement that reads what it needs itself: folding an operation reads nothing back."""
        op_id = str(event.originator_id)
        if isinstance(event, Operation.Completed):  # its commitments stay counted on the days it ran
            rows.update(REQUESTS, {"operation_id": op_id}, {"live": 0})
            return
        rows.execute(_COUNT_OPERATION, [-1, -1, -1, op_id])
        rows.execute(f"DELETE FROM {CLASHES} WHERE request_id IN (SELECT id FROM {REQUESTS} WHERE operation_id = ?) "
                     f"OR other_id IN (SELECT id FROM {REQUESTS} WHERE operation_id = ?)", [op_id, op_id])
        if isinstance(event, _CALLED_OFF):
            rows.update(OPERATIONS, {"id": op_id}, {"live": 0})
            rows.update(REQUESTS, {"operation_id": op_id}, {"live": 0})
            return
        window = _window_of(event.plan)
        rows.update(OPERATIONS, {"id": op_id}, window)
        rows.update(REQUESTS, {"operation_id": op_id}, window)
        _mark_days(rows, event.plan)
        rows.execute(_COUNT_OPERATION, [+1, +1, +1, op_id])
        rows.execute(_CLASHING_OPERATION, [op_id])


def _window_of(plan: dict[str, Any]) -> dict[str, str]:
    return {"starts_at": plan["starts_at"].isoformat(), "ends_at": plan["ends_at"].isoformat()}


def _mark_days(rows: Rows, plan: dict[str, Any]) -> None:
    """Put the UTC days an operation covers, from the day it starts to the day it ends, in the calendar."""
    day, last = plan["starts_at"].date(), plan["ends_at"].date()
    while day <= last:
        rows.execute(f"INSERT INTO {CALENDAR} (day) VALUES (?) ON CONFLICT (day) DO NOTHING", [day.isoformat()])
        day += timedelta(days=1)


def _counting(which: str) -> str:
    """Add the commitments of the requests `which` names (committed, of an operation going ahead), times a sign, to
    the totals of every day their operation covers: its calendar days from the first to the last."""
    return (
        f"INSERT INTO {DAYS} (day, agency, kind, {', '.join(_COUNTERS)}) "
        "SELECT c.day, r.agency, r.kind, ? * SUM(CASE WHEN r.resource_id IS NULL THEN 0 ELSE r.count END), "
        "? * SUM(CASE WHEN r.resource_id IS NULL THEN r.count ELSE 0 END), ? * COUNT(*) "
        f"FROM {REQUESTS} r JOIN {CALENDAR} c ON c.day >= substr(r.starts_at, 1, 10) "
        f"AND c.day <= substr(r.ends_at, 1, 10) WHERE {which} AND r.status = 'committed' AND r.live = 1 "
        "GROUP BY c.day, r.agency, r.kind ON CONFLICT (day, agency, kind) DO UPDATE SET "
        + ", ".join(f"{c} = {DAYS}.{c} + excluded.{c}" for c in _COUNTERS)
    )


def _clashing(which: str) -> str:
    """Record each other commitment of the same named resource, of an operation going ahead, whose window overlaps
    one of the requests `which` names (as domain.resource.overlaps: touching ends do not; times are ISO 8601 in
    UTC, so they compare as text)."""
    return (
        f"INSERT INTO {CLASHES} (request_id, other_id) SELECT me.id, r.id FROM {REQUESTS} me "
        f"JOIN {REQUESTS} r ON r.resource_id = me.resource_id AND r.id <> me.id WHERE {which} "
        "AND me.status = 'committed' AND me.live = 1 AND r.status = 'committed' AND r.live = 1 "
        "AND r.starts_at < me.ends_at AND r.ends_at > me.starts_at ON CONFLICT (request_id, other_id) DO NOTHING"
    )


_COUNT_REQUEST, _COUNT_OPERATION = _counting("r.id = ?"), _counting("r.operation_id = ?")
_CLASHING_OPERATION = _clashing("me.operation_id = ?")
_REQUESTED = (
    f"INSERT INTO {REQUESTS} (id, seq, operation_id, requested_by, deconfliction_number, resource_id, agency, kind, "
    "count, status, version, starts_at, ends_at, live) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, 'requested', ?, "
    f"o.starts_at, o.ends_at, o.live FROM {OPERATIONS} o WHERE o.id = ? ON CONFLICT (id) DO NOTHING"
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

