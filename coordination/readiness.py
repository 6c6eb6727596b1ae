"""Use cases of prosecution readiness: one case's checklist, and every case the caller sees, least ready first."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from coordination import access
from coordination.commands import Outcome, Session, translated_store_errors
from coordination.context import RequestContext
from coordination.errors import NotYetVisible
from coordination.investigations import no_longer_seen, readable
from coordination.ledger import Ledger
from coordination.read_your_writes import after_position
from domain.readiness import checklist
from domain.sharing import sees_contribution

MAX_PAGE = 100


class ReadinessReader(Protocol):
    """The readiness read model, as these use cases read it (projections.readiness.ReadinessQuery)."""

    def wait_for(self, position: int, timeout: float) -> bool: ...

    def facts_of(self, case_id: str) -> dict[str, Any] | None: ...

    def least_ready(self, agency: str, *, prosecutor: bool, after: tuple[int, str] | None,
                    limit: int) -> list[dict[str, Any]]: ...


class Readiness:
    """Whether cases are ready for prosecution (domain.readiness), from the readiness read model."""

    def __init__(self, reader: ReadinessReader, *, ledger: Ledger, read_wait_max: float,
                 unavailable: tuple[type[Exception], ...]):
        self.reader = reader
        self.ledger = ledger
        self.read_wait_max = read_wait_max
        self.unavailable = unavailable

    def of_case(self, ctx: RequestContext, inv_id: UUID, *, min_position: int | None) -> Outcome:
        """The checklist of a case the caller may read: each item ok, a gap or not applicable, with the records
        behind it (those of agencies the caller may not see are counted, not named)."""
        with translated_store_errors():
            inv = readable(inv_id).checked(Session(self.ledger), ctx)
        facts = after_position(self.ledger, self.reader, min_position, wait_max=self.read_wait_max,
                               unavailable=self.unavailable, what="the readiness of cases",
                               query=lambda: self.reader.facts_of(str(inv.id)))
        if facts is None:  # the case is stored but not folded yet
            raise NotYetVisible("the readiness of this case is not yet folded; retry shortly")
        judged = checklist(facts)
        items = [_seen_by(item, ctx.actor.agency, inv.owning_agency) for item in judged["items"]]
        return Outcome({"investigation_id": inv.id, "case_number": inv.case_number, "status": inv.status,
                        "score": judged["score"], "gaps": judged["gaps"], "ready": judged["ready"], "items": items},
                       touched=access.touched(inv))

    def least_ready(self, ctx: RequestContext, *, after: tuple[int, str] | None, limit: int,
                    min_position: int | None) -> dict[str, Any]:
        """Every case the caller sees, least ready first (prosecutors: the cases referred to their office)."""
        access.require_role(ctx.actor, access.CASE_READERS | access.PROSECUTORS, "reading readiness")
        prosecutor = not ctx.actor.has_any_role(*access.CASE_READERS)
        limit = max(1, min(limit, MAX_PAGE))
        rows = after_position(self.ledger, self.reader, min_position, wait_max=self.read_wait_max,
                              unavailable=self.unavailable, what="the readiness of cases",
                              query=lambda: self.reader.least_ready(ctx.actor.agency, prosecutor=prosecutor,
                                                                    after=after, limit=limit + 1))
        page = self._still_visible(ctx, rows[:limit])
        last = rows[limit - 1] if len(rows) > limit else None
        return {"items": [_listed(row) for row in page],
                "next_cursor": f"{last['score']}:{last['id']}" if last is not None else None}

    def _still_visible(self, ctx: RequestContext, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop rows of cases whose share or referral the ledger has already withdrawn, not yet folded here."""
        gone = no_longer_seen(self.ledger, ctx.actor,
                              [UUID(row["id"]) for row in rows if row["owning_agency"] != ctx.actor.agency])
        return [row for row in rows if row["id"] not in gone]


def _seen_by(item: dict[str, Any], agency: str, owner: str) -> dict[str, Any]:
    """An item with the records the caller may see (third agency rule), and how many others it has."""
    seen = [r for r in item["records"] if sees_contribution(agency, owner, r["agency"])]
    return {**item, "records": [{"type": r["type"], "id": r["id"]} for r in seen],
            "records_withheld": len(item["records"]) - len(seen)}


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    return {"investigation_id": row["id"], "case_number": row["case_number"], "owning_agency": row["owning_agency"],
            "status": row["status"], "score": int(row["score"]), "gaps": int(row["gaps"]),
            "ready": bool(row["ready"])}
