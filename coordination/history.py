"""A case's history: its timeline of events, and the check that its hash chain is unbroken."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from coordination import access
from coordination.anchors import ChainAnchors
from coordination.case_records import may_see
from coordination.commands import Outcome, Session, Target, translated_store_errors
from coordination.context import RequestContext
from coordination.errors import Damaged
from coordination.integrity import verify_chain
from coordination.ledger import Ledger
from domain.aggregate import ChainedAggregate

MAX_PAGE = 500
_ENVELOPE_FIELDS = frozenset({"envelope", "occurred_at", "prev_digest", "digest", "timestamp", "originator_topic"})


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def who(actor: dict[str, Any]) -> dict[str, str]:
    """The person behind an event as readers see them: sub, name and agency (not their roles)."""
    return {"sub": actor["sub"], "name": actor.get("name", ""), "agency": actor["agency"]}


def timeline_entry(event: Any) -> dict[str, Any]:
    """One event as the timeline shows it: what, when it happened, when recorded, who, and its data."""
    state = vars(event)
    return {
        "version": event.originator_version,
        "type": _snake(type(event).__name__),
        "occurred_at": event.occurred_at,
        "recorded_at": event.timestamp,
        "actor": who(state["envelope"]["actor"]),
        "data": _json_ready({k: v for k, v in state.items()
                             if k not in _ENVELOPE_FIELDS and not k.startswith("originator_")}),
    }


def _json_ready(value: Any) -> Any:
    """Nested times as RFC 3339 and ids as text, as everywhere else in the API."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


class History:
    """Reads any chained record's stored events in order, for its timeline and for integrity checks.

    Works for every aggregate that declares itself (domain.aggregate.ChainedAggregate): the record says which
    events an agency may see (`sees_event`) and which of their fields name other records (`references`).
    """

    def __init__(self, ledger: Ledger, anchors: ChainAnchors | None = None):
        self.ledger = ledger
        self.anchors = anchors

    def timeline(
        self, ctx: RequestContext, kind: type[ChainedAggregate], record_id: UUID, *, after: int, limit: int
    ) -> Outcome:
        """Every event of the record that the caller may see, in order, a page at a time (after = last version)."""
        limit = max(1, min(limit, MAX_PAGE))
        with translated_store_errors():
            session = Session(self.ledger)
            record = Target(kind, record_id, access.READ).checked(session, ctx)
            events = list(self.ledger.events.get(record_id, gt=after, limit=limit + 1))
            agency = ctx.actor.agency
            visible = [self.visible_entry(session, ctx, record, e) for e in events[:limit]
                       if record.sees_event(agency, e)]
        page = {
            "items": visible,
            "next_cursor": str(events[limit - 1].originator_version) if len(events) > limit else None,
            "version": record.version,
        }
        return Outcome(page, touched=access.touched(record))

    def visible_entry(self, session: Session, ctx: RequestContext, record: ChainedAggregate,
                      event: Any) -> dict[str, Any]:
        """One event as the timeline shows it to the caller: ids of records they may not see left out."""
        entry = timeline_entry(event)
        for name in record.references:
            # The id of a record the caller may not see is itself something they must not learn.
            target = entry["data"].get(name)
            if target is not None and not may_see(session, ctx, UUID(target)):
                entry["data"][name] = None
        return entry

    def owner_of(self, record_id: UUID) -> str:
        """The agency that owns any stored record, for the audit record of a request that reached no use case.

        Never shown to the caller: only auditors of that agency (or platform oversight) read it.
        """
        with translated_store_errors():
            return access.owner_of(Session(self.ledger).find(ChainedAggregate, record_id))

    def verify(self, ctx: RequestContext, kind: type[ChainedAggregate], record_id: UUID) -> Outcome:
        """Recompute the record's hash chain from the stored events; name the first broken link."""
        with translated_store_errors():
            try:
                record = Target(kind, record_id, access.READ).checked(Session(self.ledger), ctx)
            except Damaged as damaged:  # the caller may see it (else NotFound): the report names the break
                record = damaged.record
            report = verify_chain(self.ledger, record_id, self.anchors)
        named = {f"{kind.type_name}_id": report.pop("record_id"), **report}  # e.g. investigation_id
        return Outcome(named, touched=access.touched(record))
