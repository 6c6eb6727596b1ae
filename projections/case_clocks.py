"""The clocks of open cases (domain.case_clocks): when each was opened, reported on and last reviewed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.utils import get_topic

from domain.case_clocks import OPENING_REPORT, ClockRules, overdue
from domain.investigation import Investigation
from domain.lifecycle import FROZEN
from projections.projection import CLEAR, ColumnCipher, Projection, Rows

TABLE = "case_clocks"


class CaseClocks(Projection):
    """Answers: which open cases have a report or a review overdue, per agency."""

    name = "case_clocks"
    tables = (TABLE,)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (id TEXT PRIMARY KEY, agency TEXT NOT NULL, case_number TEXT NOT NULL, "
        "status TEXT NOT NULL, opened_at TEXT NOT NULL, opening_report_at TEXT, reviewed_at TEXT)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_agency ON {TABLE} (agency)",
    )
    topics = frozenset(get_topic(cls) for cls in (Investigation.Opened, Investigation.ActionLogged,
                                                  Investigation.Reviewed, Investigation.StatusChanged))

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        key = {"id": str(event.originator_id)}
        if isinstance(event, Investigation.Opened):
            rows.upsert(TABLE, ("id",), {**key, "agency": event.owning_agency, "case_number": event.case_number,
                                         "status": "opened", "opened_at": event.occurred_at.isoformat(),
                                         "opening_report_at": None, "reviewed_at": None})
        elif isinstance(event, Investigation.ActionLogged):
            if event.kind == OPENING_REPORT:  # the first one filed stops the clock; a later one changes nothing
                row = rows.find(TABLE, key)
                if row is not None and row["opening_report_at"] is None:
                    rows.update(TABLE, key, {"opening_report_at": event.occurred_at.isoformat()})
        elif isinstance(event, Investigation.Reviewed):
            rows.update(TABLE, key, {"reviewed_at": event.occurred_at.isoformat()})
        else:
            rows.update(TABLE, key, {"status": event.to_status})


class CaseClockQuery:
    """Reads the clocks: the overdue ones as of a moment, under the deployment's rules."""

    def __init__(self, db: Any, runner: Any, rules: ClockRules, cipher: ColumnCipher = CLEAR):
        self.db = db
        self.runner = runner
        self.rules = rules
        self.cipher = cipher

    def wait_for(self, position: int, timeout: float) -> bool:
        return self.runner.wait_for(CaseClocks.name, position, timeout)

    def overdue(self, *, now: datetime, agency: str | None) -> list[dict[str, Any]]:
        """Every clock of an open case (of `agency`, or of all) that ran out before `now`, longest overdue first.

        Computed when asked, so that a change of an agency's rules applies at once, without a rebuild."""
        where, params = [f"status NOT IN ({', '.join('?' for _ in FROZEN)})"], list(sorted(FROZEN))
        if agency is not None:
            where.append("agency = ?")
            params.append(agency)
        with self.db.transaction() as cur:
            rows = cur.execute(f"SELECT * FROM {TABLE} WHERE {' AND '.join(where)}", params).fetchall()
        items = []
        for row in rows:
            case = {"agency": row["agency"], "opened_at": datetime.fromisoformat(row["opened_at"]),
                    "opening_report_at": row["opening_report_at"],
                    "reviewed_at": datetime.fromisoformat(row["reviewed_at"]) if row["reviewed_at"] else None}
            items += [{"investigation_id": row["id"], "case_number": row["case_number"], "agency": row["agency"],
                       **late} for late in overdue(case, self.rules, now)]
        return sorted(items, key=lambda item: item["due_at"])
