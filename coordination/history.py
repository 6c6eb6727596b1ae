"""A case's history: its timeline of events, and the check that its hash chain is unbroken."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from coordination import access
from coordination.anchors import ChainAnchors
from coordination.commands import Session, translated_store_errors
from coordination.context import RequestContext
from coordination.integrity import verify_chain
from coordination.ledger import Ledger
from domain.investigation import Investigation
from domain.sharing import sees_contribution

MAX_PAGE = 500
_ENVELOPE_FIELDS = frozenset({"envelope", "occurred_at", "prev_digest", "digest", "timestamp", "originator_topic"})
_SHARE_EVENTS = frozenset({"shared", "share_revoked"})


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def timeline_entry(event: Any) -> dict[str, Any]:
    """One event as the timeline shows it: what, when it happened, when recorded, who, and its data."""
    state = vars(event)
    actor = state["envelope"]["actor"]
    return {
        "version": event.originator_version,
        "type": _snake(type(event).__name__),
        "occurred_at": event.occurred_at,
        "recorded_at": event.timestamp,
        "actor": {"sub": actor["sub"], "name": actor.get("name", ""), "agency": actor["agency"]},
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


def _visible_to(entry: dict[str, Any], viewer: str, owner: str) -> bool:
    # Third agency rule: a partner sees the owner's entries and its own, only its own share, and a correction
    # only if it may see the entry corrected.
    if not sees_contribution(viewer, owner, entry["actor"]["agency"]):
        return False
    concerns = entry["data"].get("agency") if entry["type"] in _SHARE_EVENTS else entry["data"].get("entry_agency")
    return concerns is None or sees_contribution(viewer, owner, concerns)


class History:
    """Reads a case's stored events in order, for the timeline and for integrity checks."""

    def __init__(self, ledger: Ledger, anchors: ChainAnchors | None = None):
        self.ledger = ledger
        self.anchors = anchors

    def timeline(self, ctx: RequestContext, inv_id: UUID, *, after: int, limit: int) -> dict[str, Any]:
        """Every event of the case in order, a page at a time (after = the last version seen)."""
        limit = max(1, min(limit, MAX_PAGE))
        with translated_store_errors():
            inv = access.readable(Session(self.ledger).find(Investigation, inv_id), ctx)
            events = list(self.ledger.events.get(inv_id, gt=after, limit=limit + 1))
        more = len(events) > limit
        entries = [timeline_entry(e) for e in events[:limit]]
        visible = [e for e in entries if _visible_to(e, ctx.actor.agency, inv.owning_agency)]
        return {
            "items": visible,
            "next_cursor": str(events[limit - 1].originator_version) if more else None,
            "version": inv.version,
        }

    def verify(self, ctx: RequestContext, inv_id: UUID) -> dict[str, Any]:
        """Recompute the case's hash chain from the stored events; name the first broken link."""
        with translated_store_errors():
            access.readable(Session(self.ledger).find(Investigation, inv_id), ctx)
            report = verify_chain(self.ledger, inv_id, self.anchors)
        return report
