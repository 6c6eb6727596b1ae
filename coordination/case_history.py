"""An investigation's history as it stood on any date, as it was known at any date (for prosecutors' replay)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from coordination import access
from coordination.commands import Outcome, Session, Target, translated_store_errors
from coordination.context import RequestContext
from coordination.history import MAX_PAGE, History
from coordination.investigations import KIND, investigation_view
from domain.case_history import as_it_stood


class CaseHistory:
    """Replays a case: what had happened by `as_of` (when things happened), as known at `known_at` (when they
    were recorded), with each entry's corrections as they were known then."""

    def __init__(self, history: History):
        self.history = history
        self.ledger = history.ledger

    def as_it_stood(self, ctx: RequestContext, record_id: UUID, *, as_of: datetime | None,
                    known_at: datetime | None, after: int, limit: int) -> Outcome:
        """The case's state and its entries (a page at a time, after = last version) as they stood."""
        limit = max(1, min(limit, MAX_PAGE))
        with translated_store_errors():
            session = Session(self.ledger)
            record = Target(KIND, record_id, access.READ).checked(session, ctx)
            stood = as_it_stood(list(self.ledger.events.get(record_id)), as_of=as_of, known_at=known_at)
            agency = ctx.actor.agency
            seen = [e for e in stood.entries if e.originator_version > after and record.sees_event(agency, e)]
            items = [self._entry(session, ctx, record, e, stood.corrected_by) for e in seen[:limit]]
        return Outcome({
            "investigation_id": record_id, "as_of": as_of, "known_at": known_at,
            "known_version": stood.known_version, "current_version": record.version,
            "state": investigation_view(stood.case, agency) if stood.case is not None else None,
            "items": items,
            "next_cursor": str(seen[limit - 1].originator_version) if len(seen) > limit else None,
        }, touched=access.touched(record))

    def _entry(self, session: Session, ctx: RequestContext, record: Any, event: Any,
               corrected_by: dict[int, list[int]]) -> dict[str, Any]:
        entry = self.history.visible_entry(session, ctx, record, event)
        return {**entry, "corrected_by": corrected_by.get(event.originator_version, [])}
