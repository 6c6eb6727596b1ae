"""The case list: which investigations a given agency may see, newest first, with filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.utils import get_topic

from domain.investigation import Investigation
from domain.sharing import sees_contribution
from projections.projection import CLEAR, ColumnCipher, Projection, Rows

TABLE = "case_list"
SHARES = "case_list_shares"
_COLUMNS = (
    "id, seq, case_number, title, threat_domain, summary, status, owning_agency, "
    "case_agent_sub, case_agent_name, version, opened_at"
)
# Case text is encrypted (with a key); what lists filter and order on (ids, statuses, agencies, times) is not.
ENCRYPTED = ("title", "summary", "case_agent_name")


class CaseList(Projection):
    """Answers: which investigations may this agency see, with their current status and version?"""

    name = "case_list"
    # 2: title, summary and case_agent_name are stored encrypted (with a key). Version 1 wrote them in clear,
    # and a list that kept those rows would keep case text readable at rest: it is rebuilt.
    # 3: records attached and referrals submitted change the version the list shows (the ETag a client sends).
    version = 3
    tables = (SHARES, TABLE)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, case_number TEXT NOT NULL, "
        "title TEXT NOT NULL, threat_domain TEXT NOT NULL, summary TEXT NOT NULL, status TEXT NOT NULL, "
        "owning_agency TEXT NOT NULL, case_agent_sub TEXT NOT NULL, case_agent_name TEXT NOT NULL, "
        "version BIGINT NOT NULL, opened_at TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_owner_seq ON {TABLE} (owning_agency, seq)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_seq ON {TABLE} (seq)",
        f"CREATE TABLE IF NOT EXISTS {SHARES} (investigation_id TEXT NOT NULL, agency TEXT NOT NULL, "
        "access TEXT NOT NULL, PRIMARY KEY (investigation_id, agency))",
        f"CREATE INDEX IF NOT EXISTS {SHARES}_agency ON {SHARES} (agency, investigation_id)",
    )
    topics = frozenset(
        get_topic(cls)
        for cls in (
            Investigation.Opened, Investigation.ActionLogged, Investigation.SubjectAdded, Investigation.Shared,
            Investigation.ShareRevoked, Investigation.StatusChanged, Investigation.EntryCorrected,
            Investigation.Reviewed, Investigation.RecordAttached, Investigation.ReferredForProsecution,
            Investigation.ProsecutionAccessEnded,  # these change only the version the list shows
        )
    )

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        key = {"id": str(event.originator_id)}
        if isinstance(event, Investigation.Opened):
            rows.upsert(TABLE, ("id",), {**key, **self._sealed(_opened_row(event, position))})
            return
        changes: dict[str, Any] = {"version": event.originator_version}
        if isinstance(event, Investigation.Shared):
            rows.upsert(SHARES, ("investigation_id", "agency"),
                        {"investigation_id": key["id"], "agency": event.agency, "access": event.access})
        elif isinstance(event, Investigation.ShareRevoked):
            rows.delete(SHARES, {"investigation_id": key["id"], "agency": event.agency})
        elif isinstance(event, Investigation.StatusChanged):
            changes["status"] = event.to_status
        elif isinstance(event, Investigation.EntryCorrected) and event.entry_kind == "opening":
            changes.update({k: v for k, v in event.changes.items() if k in ("title", "summary", "threat_domain")})
        rows.update(TABLE, key, self._sealed(changes))

    def _sealed(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: self.cipher.encrypt(v, f"{TABLE}.{k}") if k in ENCRYPTED else v for k, v in values.items()}


def _opened_row(event: Investigation.Opened, position: int) -> dict[str, Any]:
    return {
        "seq": position,
        "case_number": event.case_number,
        "title": event.title,
        "threat_domain": event.threat_domain,
        "summary": event.summary,
        "status": "opened",
        "owning_agency": event.owning_agency,
        "case_agent_sub": event.case_agent["sub"],
        "case_agent_name": event.case_agent.get("name", ""),
        "version": event.originator_version,
        "opened_at": event.occurred_at.isoformat(),
    }


class CaseListQuery:
    """Reads the case list, always filtered to what the asking agency may see."""

    def __init__(self, db: Any, runner: Any, cipher: ColumnCipher = CLEAR):
        self.db = db
        self.runner = runner
        self.cipher = cipher

    def wait_for(self, position: int, timeout: float) -> bool:
        return self.runner.wait_for(CaseList.name, position, timeout)

    def visible_to(
        self, agency: str, *, status: str | None = None, threat_domain: str | None = None,
        owner: str | None = None, before: int | None = None, limit: int = 50,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """A page of cases the agency owns or was shared, newest first; and the cursor of the next page."""
        where = [f"(c.owning_agency = ? OR EXISTS (SELECT 1 FROM {SHARES} s "
                 "WHERE s.investigation_id = c.id AND s.agency = ?))"]
        params: list[Any] = [agency, agency]
        for column, value in (("status", status), ("threat_domain", threat_domain), ("owning_agency", owner)):
            if value is not None:
                where.append(f"c.{column} = ?")
                params.append(value)
        if before is not None:
            where.append("c.seq < ?")
            params.append(before)
        sql = f"SELECT {_COLUMNS} FROM {TABLE} c WHERE {' AND '.join(where)} ORDER BY c.seq DESC LIMIT ?"
        with self.db.transaction() as cur:
            rows = cur.execute(sql, [*params, limit + 1]).fetchall()
            page = rows[:limit]
            shares = self._shares(cur, [r["id"] for r in page])
        items = [_item(self._unsealed(r), shares.get(r["id"], []), agency) for r in page]
        return items, (page[-1]["seq"] if len(rows) > limit else None)

    def _unsealed(self, row: dict[str, Any]) -> dict[str, Any]:
        return {k: self.cipher.decrypt(v, f"{TABLE}.{k}") if k in ENCRYPTED else v for k, v in row.items()}

    @staticmethod
    def _shares(cur: Any, ids: list[str]) -> dict[str, list[dict[str, str]]]:
        if not ids:
            return {}
        found = cur.execute(
            f"SELECT investigation_id, agency, access FROM {SHARES} WHERE investigation_id IN "
            f"({', '.join('?' * len(ids))}) ORDER BY agency",
            ids,
        ).fetchall()
        grouped: dict[str, list[dict[str, str]]] = {}
        for row in found:
            grouped.setdefault(row["investigation_id"], []).append({"agency": row["agency"], "access": row["access"]})
        return grouped


def _item(row: dict[str, Any], shares: list[dict[str, str]], agency: str) -> dict[str, Any]:
    visible_shares = [s for s in shares if sees_contribution(agency, row["owning_agency"], s["agency"])]
    return {
        "id": row["id"],
        "case_number": row["case_number"],
        "title": row["title"],
        "threat_domain": row["threat_domain"],
        "summary": row["summary"],
        "status": row["status"],
        "owning_agency": row["owning_agency"],
        "case_agent": {"sub": row["case_agent_sub"], "name": row["case_agent_name"]},
        "shared_with": visible_shares,
        "version": int(row["version"]),
        "opened_at": datetime.fromisoformat(row["opened_at"]),
    }
