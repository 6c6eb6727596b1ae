"""The coordination group's board and each agency's conflicts and notifications, folded from the ledger.

Pointer discipline holds here too: rows keep each side's agency, point of contact, deconfliction number and
operation id, never its investigation. Points of contact are encrypted with a key (they name officers).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.utils import get_topic

from domain.conflict import ACKNOWLEDGE_WITHIN, Conflict
from domain.operation import Operation
from projections.case_list import SHARES as CASE_SHARES
from projections.case_list import TABLE as CASES
from projections.projection import Projection, Rows

CONFLICTS = "board_conflicts"
ACKS = "board_conflict_acks"
OPERATIONS = "board_operations"
NOTIFICATIONS = "notifications"
ENCRYPTED = {(CONFLICTS, "parties"), (NOTIFICATIONS, "body"), (OPERATIONS, "title")}
# ~1 km: where an operation is, as the board shows it to agencies that are not its own.
AREA_DECIMALS = 2
_CHANGES: dict[type, str] = {
    Conflict.Detected: "detected", Conflict.Revised: "revised", Conflict.Reopened: "reopened",
    Conflict.Obsoleted: "obsolete", Conflict.Taken: "taken", Conflict.Acknowledged: "acknowledged",
    Conflict.Escalated: "escalated", Conflict.Resolved: "resolved",
}


# What each lifecycle step of an operation leaves it as (Exempted leaves its status as it was).
_STATUS_AFTER: dict[type, str] = {
    Operation.Withdrawn: "withdrawn", Operation.Approved: "approved", Operation.Started: "started",
    Operation.Completed: "completed", Operation.Cancelled: "cancelled",
}
_OPERATION_EVENTS = (Operation.Planned, Operation.RecordedLate, Operation.Amended, Operation.Exempted,
                     *_STATUS_AFTER)


class DeconflictionBoard(Projection):
    """Answers: which conflicts are open, whose, how urgent; what operations start soon; what each agency was told."""

    name = "deconfliction_board"
    # 2: operations' lifecycle (approved, started, completed, cancelled; late entries). 3: operations indexed by
    # start and end, so that "what is under way between two days" reads only those (the resources view).
    version = 3
    tables = (NOTIFICATIONS, ACKS, CONFLICTS, OPERATIONS)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {CONFLICTS} (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, kind TEXT NOT NULL, "
        "severity TEXT NOT NULL, party_a TEXT NOT NULL, party_b TEXT NOT NULL, operation_a TEXT, operation_b TEXT, "
        "parties TEXT NOT NULL, distance_m BIGINT, overlap_start TEXT, overlap_end TEXT, starts_at TEXT, "
        "detected_at TEXT NOT NULL, acknowledge_by TEXT, coordinator TEXT, escalated INTEGER NOT NULL, "
        "resolution TEXT, obsolete INTEGER NOT NULL, version BIGINT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {CONFLICTS}_a ON {CONFLICTS} (party_a, seq)",
        f"CREATE INDEX IF NOT EXISTS {CONFLICTS}_b ON {CONFLICTS} (party_b, seq)",
        f"CREATE TABLE IF NOT EXISTS {ACKS} (conflict_id TEXT NOT NULL, agency TEXT NOT NULL, "
        "PRIMARY KEY (conflict_id, agency))",
        f"CREATE TABLE IF NOT EXISTS {OPERATIONS} (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, "
        "investigation_id TEXT NOT NULL, agency TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL, "
        "starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, lat DOUBLE PRECISION NOT NULL, "
        "lon DOUBLE PRECISION NOT NULL, status TEXT NOT NULL, deconfliction_number TEXT NOT NULL, "
        "version BIGINT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {OPERATIONS}_window ON {OPERATIONS} (starts_at, ends_at)",
        f"CREATE INDEX IF NOT EXISTS {OPERATIONS}_case ON {OPERATIONS} (investigation_id, seq)",
        f"CREATE TABLE IF NOT EXISTS {NOTIFICATIONS} (agency TEXT NOT NULL, position BIGINT NOT NULL, "
        "side INTEGER NOT NULL, conflict_id TEXT NOT NULL, change TEXT NOT NULL, body TEXT NOT NULL, "
        "PRIMARY KEY (agency, position, side))",
        f"CREATE INDEX IF NOT EXISTS {NOTIFICATIONS}_position ON {NOTIFICATIONS} (position)",
    )
    topics = frozenset(get_topic(cls) for cls in (*_CHANGES, *_OPERATION_EVENTS))

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        if isinstance(event, _OPERATION_EVENTS):
            self._operation(event, position, rows)
            return
        key = str(event.originator_id)
        if isinstance(event, (Conflict.Detected, Conflict.Revised, Conflict.Reopened)):
            self._detected(event, position, rows)
        else:
            self._step(event, rows)
        row = rows.find(CONFLICTS, {"id": key})
        if row is not None:
            self._notify(event, position, row, rows)

    def _detected(self, event: Any, position: int, rows: Rows) -> None:
        key = str(event.originator_id)
        a, b = event.parties
        values: dict[str, Any] = {
            "severity": event.severity, "party_a": a["agency"], "party_b": b["agency"],
            "operation_a": a.get("operation_id"), "operation_b": b.get("operation_id"),
            "parties": self._seal(CONFLICTS, "parties", [_side(a), _side(b)]),
            "distance_m": event.distance_m,
            "overlap_start": _iso((event.overlap or {}).get("starts_at")),
            "overlap_end": _iso((event.overlap or {}).get("ends_at")),
            "starts_at": min((_iso(p["starts_at"]) for p in event.parties if p.get("starts_at")), default=None),
            "version": event.originator_version,
        }
        if isinstance(event, Conflict.Revised):
            rows.update(CONFLICTS, {"id": key}, values)
            return
        acknowledge_by = _acknowledge_by(event.severity, event.timestamp)
        if isinstance(event, Conflict.Reopened):
            rows.delete(ACKS, {"conflict_id": key})
            rows.update(CONFLICTS, {"id": key}, {**values, "obsolete": 0, "escalated": 0, "resolution": None,
                                                 "detected_at": event.timestamp.isoformat(),
                                                 "acknowledge_by": acknowledge_by})
            return
        rows.upsert(CONFLICTS, ("id",), {"id": key, "seq": position, "kind": event.kind, **values,
                                         "detected_at": event.timestamp.isoformat(), "acknowledge_by": acknowledge_by,
                                         "coordinator": None, "escalated": 0, "resolution": None, "obsolete": 0})

    def _step(self, event: Any, rows: Rows) -> None:
        key = {"id": str(event.originator_id)}
        changes: dict[str, Any] = {"version": event.originator_version}
        if isinstance(event, Conflict.Obsoleted):
            changes["obsolete"] = 1
        elif isinstance(event, Conflict.Taken):
            changes["coordinator"] = json.dumps({"name": event.coordinator["name"],
                                                 "agency": event.coordinator["agency"]})
        elif isinstance(event, Conflict.Acknowledged):
            rows.upsert(ACKS, ("conflict_id", "agency"), {"conflict_id": key["id"], "agency": event.agency})
        elif isinstance(event, Conflict.Escalated):
            changes["escalated"] = 1
        elif isinstance(event, Conflict.Resolved):
            changes["resolution"] = json.dumps({"resolution": event.resolution, "note": event.note})
        rows.update(CONFLICTS, key, changes)

    def _notify(self, event: Any, position: int, row: dict[str, Any], rows: Rows) -> None:
        """Each side's agency is told once per change: what changed, and for a detection whom to call.

        Nobody is told of a name-only possible match (low): that is for the coordination group to judge."""
        if row["severity"] == "low":
            return
        sides = self._open(CONFLICTS, "parties", row["parties"])
        for index, (mine, other) in enumerate(((sides[0], sides[1]), (sides[1], sides[0]))):
            body = {"conflict_id": row["id"], "change": _CHANGES[type(event)], "kind": row["kind"],
                    "severity": row["severity"], "at": event.timestamp.isoformat(),
                    "own": {"operation_id": mine["operation_id"], "subject_id": mine.get("subject_id"),
                            "deconfliction_number": mine["deconfliction_number"]},
                    "counterpart": {k: other[k] for k in ("agency", "point_of_contact", "deconfliction_number")}}
            rows.upsert(NOTIFICATIONS, ("agency", "position", "side"), {
                "agency": mine["agency"], "position": position, "side": index, "conflict_id": row["id"],
                "change": body["change"], "body": self._seal(NOTIFICATIONS, "body", body)})

    def _operation(self, event: Any, position: int, rows: Rows) -> None:
        key = {"id": str(event.originator_id)}
        if type(event) in _STATUS_AFTER or isinstance(event, Operation.Exempted):
            status = {"status": _STATUS_AFTER[type(event)]} if type(event) in _STATUS_AFTER else {}
            rows.update(OPERATIONS, key, {**status, "version": event.originator_version})
            return
        plan = event.plan
        values = {"kind": plan["kind"], "starts_at": _iso(plan["starts_at"]), "ends_at": _iso(plan["ends_at"]),
                  "title": self.cipher.encrypt(plan["title"], f"{OPERATIONS}.title"),
                  "lat": round(plan["location"]["lat"], AREA_DECIMALS),
                  "lon": round(plan["location"]["lon"], AREA_DECIMALS), "version": event.originator_version}
        if isinstance(event, (Operation.Planned, Operation.RecordedLate)):
            status = "started" if isinstance(event, Operation.RecordedLate) else "planned"
            rows.upsert(OPERATIONS, ("id",), {**key, **values, "seq": position, "agency": event.owning_agency,
                                              "investigation_id": str(event.investigation_id), "status": status,
                                              "deconfliction_number": event.deconfliction_number})
            return
        row = rows.find(OPERATIONS, key)
        if row is not None and row["status"] == "approved":  # as the aggregate: a changed plan needs approving again
            values["status"] = "planned"
        rows.update(OPERATIONS, key, values)

    def _seal(self, table: str, column: str, value: Any) -> str:
        return self.cipher.encrypt(json.dumps(value, default=str), f"{table}.{column}")

    def _open(self, table: str, column: str, value: str) -> Any:
        return json.loads(self.cipher.decrypt(value, f"{table}.{column}"))


def _side(party: dict[str, Any]) -> dict[str, Any]:
    """A side as the board keeps it: whom to call, and the operation (never the investigation)."""
    return {"agency": party["agency"], "operation_id": party.get("operation_id"),
            "subject_id": party.get("subject_id"), "deconfliction_number": party["deconfliction_number"],
            "point_of_contact": party["point_of_contact"]}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _acknowledge_by(severity: str, detected_at: datetime) -> str | None:
    within = ACKNOWLEDGE_WITHIN.get(severity)
    return (detected_at + within).isoformat() if within else None


_STATUS = (
    "CASE WHEN c.resolution IS NOT NULL THEN 'resolved' WHEN c.obsolete = 1 THEN 'obsolete' "
    "WHEN c.escalated = 1 THEN 'escalated' "
    f"WHEN (SELECT COUNT(*) FROM {ACKS} k WHERE k.conflict_id = c.id AND k.agency IN (c.party_a, c.party_b)) = "
    "(CASE WHEN c.party_a = c.party_b THEN 1 ELSE 2 END) THEN 'acknowledged' "
    "WHEN c.coordinator IS NOT NULL THEN 'owned' ELSE 'detected' END"
)
OPEN = ("detected", "owned", "acknowledged", "escalated")
_SEVERITY_RANK = "CASE c.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END"


class BoardQuery:
    """Reads the board, the conflicts of one agency and its notifications; every query filtered to its reader."""

    def __init__(self, db: Any, runner: Any, cipher: Any):
        self.db = db
        self.runner = runner
        self.cipher = cipher

    def wait_for(self, position: int, timeout: float) -> bool:
        return self.runner.wait_for(DeconflictionBoard.name, position, timeout)

    def conflicts_of(self, agency: str, *, status: str | None, before: int | None,
                     limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """A page of the conflicts the agency is party to, newest first, each from its side."""
        where: list[str] = ["(c.party_a = ? OR c.party_b = ?)", "c.severity <> 'low'"]
        params: list[Any] = [agency, agency]
        if status is not None:
            where.append(f"({_STATUS}) = ?")
            params.append(status)
        if before is not None:
            where.append("c.seq < ?")
            params.append(before)
        with self.db.transaction() as cur:
            rows = cur.execute(f"SELECT c.*, ({_STATUS}) AS status FROM {CONFLICTS} c WHERE {' AND '.join(where)} "
                               "ORDER BY c.seq DESC LIMIT ?", [*params, limit + 1]).fetchall()
            acks = self._acks(cur, [r["id"] for r in rows[:limit]])
        items = [self._view(r, acks.get(r["id"], []), agency=agency) for r in rows[:limit]]
        return items, (rows[limit - 1]["seq"] if len(rows) > limit else None)

    def board(self, *, now: datetime, hours: int, bbox: tuple[float, float, float, float] | None,
              window: tuple[datetime | None, datetime | None]) -> dict[str, Any]:
        """Open conflicts by severity and time to start, those overdue, and operations starting soon."""
        where: list[str] = [f"({_STATUS}) IN ({', '.join('?' * len(OPEN))})"]
        params: list[Any] = list(OPEN)
        if bbox is not None:
            where.append(f"EXISTS (SELECT 1 FROM {OPERATIONS} o WHERE o.id IN (c.operation_a, c.operation_b) "
                         "AND o.lat BETWEEN ? AND ? AND o.lon BETWEEN ? AND ?)")
            params.extend(bbox)
        if window[0] is not None:
            where.append("c.overlap_end >= ?")
            params.append(window[0].isoformat())
        if window[1] is not None:
            where.append("c.overlap_start <= ?")
            params.append(window[1].isoformat())
        with self.db.transaction() as cur:
            rows = cur.execute(f"SELECT c.*, ({_STATUS}) AS status FROM {CONFLICTS} c WHERE {' AND '.join(where)} "
                               f"ORDER BY {_SEVERITY_RANK}, c.starts_at LIMIT 500", params).fetchall()
            acks = self._acks(cur, [r["id"] for r in rows])
            upcoming = self._upcoming(cur, now, hours, bbox)
        conflicts = [self._view(r, acks.get(r["id"], []), coordinator=True) for r in rows]
        overdue = [c for c in conflicts if c["status"] in ("detected", "owned") and c["acknowledge_by"]
                   and c["acknowledge_by"] < now]
        counts: dict[str, int] = {}
        for conflict in conflicts:
            counts[conflict["severity"]] = counts.get(conflict["severity"], 0) + 1
        return {"open": conflicts, "overdue": overdue, "upcoming_operations": upcoming,
                "counts": {"open": len(conflicts), "overdue": len(overdue), "upcoming_operations": len(upcoming),
                           "by_severity": counts}}

    def notifications(self, agency: str, *, after: tuple[int, int], limit: int) -> list[dict[str, Any]]:
        """What the agency was told since a cursor (position, side), oldest first."""
        with self.db.transaction() as cur:
            rows = cur.execute(
                f"SELECT * FROM {NOTIFICATIONS} WHERE agency = ? AND (position > ? OR (position = ? AND side > ?)) "
                "ORDER BY position, side LIMIT ?", [agency, after[0], after[0], after[1], limit]).fetchall()
        items = []
        for row in rows:
            body = json.loads(self.cipher.decrypt(row["body"], f"{NOTIFICATIONS}.body"))
            items.append({"cursor": f"{row['position']}.{row['side']}", **body,
                          "at": datetime.fromisoformat(body["at"])})
        return items

    def operations_visible_to(self, agency: str, *, investigation_id: str | None, starts_before: datetime | None,
                              ends_after: datetime | None, before: int | None,
                              limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """A page of the operations an agency may see, newest first: its own, and those of the cases it sees
        that their owner planned (the third agency rule); the owner sees every operation of its case."""
        where = [f"(o.agency = ? OR c.owning_agency = ? OR (o.agency = c.owning_agency AND EXISTS (SELECT 1 FROM "
                 f"{CASE_SHARES} s WHERE s.investigation_id = c.id AND s.agency = ?)))"]
        params: list[Any] = [agency, agency, agency]
        for clause, value in (("o.investigation_id = ?", investigation_id), ("o.seq < ?", before),
                              ("o.starts_at <= ?", _iso(starts_before)), ("o.ends_at >= ?", _iso(ends_after))):
            if value is not None:
                where.append(clause)
                params.append(value)
        with self.db.transaction() as cur:
            rows = cur.execute(f"SELECT o.* FROM {OPERATIONS} o LEFT JOIN {CASES} c ON c.id = o.investigation_id "
                               f"WHERE {' AND '.join(where)} ORDER BY o.seq DESC LIMIT ?",
                               [*params, limit + 1]).fetchall()
        items = [{"id": r["id"], "investigation_id": r["investigation_id"], "owning_agency": r["agency"],
                  "deconfliction_number": r["deconfliction_number"], "status": r["status"], "kind": r["kind"],
                  "title": self.cipher.decrypt(r["title"], f"{OPERATIONS}.title"),
                  "starts_at": datetime.fromisoformat(r["starts_at"]), "ends_at": datetime.fromisoformat(r["ends_at"]),
                  "version": int(r["version"])} for r in rows[:limit]]
        return items, (rows[limit - 1]["seq"] if len(rows) > limit else None)

    def latest_by_agency(self, after: int) -> dict[str, int]:
        """The last notification position of each agency told anything after `after` (what streams wait on)."""
        with self.db.transaction() as cur:
            rows = cur.execute(f"SELECT agency, MAX(position) AS position FROM {NOTIFICATIONS} WHERE position > ? "
                               "GROUP BY agency", [after]).fetchall()
        return {r["agency"]: int(r["position"]) for r in rows}

    @staticmethod
    def _upcoming(cur: Any, now: datetime, hours: int, bbox: Any) -> list[dict[str, Any]]:
        where = ["status IN ('planned', 'approved')", "starts_at >= ?", "starts_at <= ?"]
        params: list[Any] = [now.isoformat(), (now + timedelta(hours=hours)).isoformat()]
        if bbox is not None:
            where.append("lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?")
            params.extend(bbox)
        rows = cur.execute(f"SELECT agency, kind, starts_at, ends_at, lat, lon, deconfliction_number FROM {OPERATIONS} "
                           f"WHERE {' AND '.join(where)} ORDER BY starts_at LIMIT 500", params).fetchall()
        return [{"agency": r["agency"], "kind": r["kind"], "deconfliction_number": r["deconfliction_number"],
                 "window": {"starts_at": datetime.fromisoformat(r["starts_at"]),
                            "ends_at": datetime.fromisoformat(r["ends_at"])},
                 "area": {"lat": float(r["lat"]), "lon": float(r["lon"])}} for r in rows]

    @staticmethod
    def _acks(cur: Any, ids: list[str]) -> dict[str, list[str]]:
        if not ids:
            return {}
        found = cur.execute(f"SELECT conflict_id, agency FROM {ACKS} WHERE conflict_id IN "
                            f"({', '.join('?' * len(ids))}) ORDER BY agency", ids).fetchall()
        grouped: dict[str, list[str]] = {}
        for row in found:
            grouped.setdefault(row["conflict_id"], []).append(row["agency"])
        return grouped

    def _view(self, row: dict[str, Any], acks: list[str], *, agency: str | None = None,
              coordinator: bool = False) -> dict[str, Any]:
        sides = json.loads(self.cipher.decrypt(row["parties"], f"{CONFLICTS}.parties"))
        view: dict[str, Any] = {
            "id": row["id"], "kind": row["kind"], "severity": row["severity"], "status": row["status"],
            "distance_m": row["distance_m"],
            "overlap": ({"starts_at": datetime.fromisoformat(row["overlap_start"]),
                         "ends_at": datetime.fromisoformat(row["overlap_end"])} if row["overlap_start"] else None),
            "detected_at": datetime.fromisoformat(row["detected_at"]),
            "acknowledge_by": datetime.fromisoformat(row["acknowledge_by"]) if row["acknowledge_by"] else None,
            "acknowledged_by": acks,
            "coordinator": json.loads(row["coordinator"]) if row["coordinator"] else None,
            "escalated": bool(row["escalated"]),
            "resolution": json.loads(row["resolution"]) if row["resolution"] else None,
            "version": int(row["version"]),
        }
        mine = next((s for s in sides if s["agency"] == agency), None)
        if mine is not None:
            other = sides[1] if mine is sides[0] else sides[0]
            view["own"] = {"operation_id": mine["operation_id"], "subject_id": mine.get("subject_id"),
                           "deconfliction_number": mine["deconfliction_number"]}
            view["counterpart"] = {k: other[k] for k in ("agency", "point_of_contact", "deconfliction_number")}
        if coordinator:
            view["parties"] = [{k: s[k] for k in ("agency", "point_of_contact", "deconfliction_number")}
                               for s in sides]
        return view
