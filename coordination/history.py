"""A case's history: its timeline of events, and the check that its hash chain is unbroken."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from coordination import access
from coordination.commands import Session, translated_store_errors
from coordination.context import RequestContext
from coordination.ledger import Ledger
from domain.chain import GENESIS, event_digest
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
    # Third agency rule: a partner sees the owner's entries and its own, and only its own share.
    if not sees_contribution(viewer, owner, entry["actor"]["agency"]):
        return False
    return entry["type"] not in _SHARE_EVENTS or sees_contribution(viewer, owner, entry["data"]["agency"])


class History:
    """Reads a case's stored events in order, for the timeline and for integrity checks."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def timeline(self, ctx: RequestContext, inv_id: UUID, *, after: int, limit: int) -> dict[str, Any]:
        """Every event of the case in order, a page at a time (after = the last version seen)."""
        limit = max(1, min(limit, MAX_PAGE))
        with translated_store_errors():
            inv = access.readable(Session(self.ledger).find(Investigation, inv_id), ctx.actor)
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
            access.readable(Session(self.ledger).find(Investigation, inv_id), ctx.actor)
            report = verify_chain(self.ledger, inv_id)
        return report


def verify_chain(ledger: Ledger, aggregate_id: UUID) -> dict[str, Any]:
    """Check every stored event of one aggregate against its digest and its predecessor's."""
    stored = ledger.recorder.select_events(aggregate_id)
    previous, expected_version = GENESIS, 1
    for record in stored:
        try:
            state = _decoded_state(ledger, record.state)
        except Exception:  # noqa: BLE001 - any failure to decode is itself the finding
            return _report(aggregate_id, len(stored), previous, record.originator_version, "cannot be decoded")
        problem = _link_problem(record, state, previous, expected_version)
        if problem:
            return _report(aggregate_id, len(stored), previous, record.originator_version, problem)
        previous, expected_version = state["digest"], record.originator_version + 1
    return _report(aggregate_id, len(stored), previous, None, None)


def _decoded_state(ledger: Ledger, data: bytes) -> dict[str, Any]:
    mapper = ledger.mapper
    if mapper.cipher:
        data = mapper.cipher.decrypt(data)
    if mapper.compressor:
        data = mapper.compressor.decompress(data)
    return mapper.transcoder.decode(data)


def _link_problem(record: Any, state: dict[str, Any], previous: str, expected_version: int) -> str | None:
    if record.originator_version != expected_version:
        return f"event {expected_version} is missing"
    if state.get("prev_digest") != previous:
        return "does not link to the event before it"
    digest = event_digest(record.topic, record.originator_id, record.originator_version, state)
    if state.get("digest") != digest:
        return "its content does not match its digest"
    return None


def _report(
    aggregate_id: UUID, count: int, head: str, broken_at: int | None, problem: str | None
) -> dict[str, Any]:
    return {
        "investigation_id": aggregate_id,
        "intact": problem is None,
        "events": count,
        "head": head if problem is None else None,
        "first_broken": None if problem is None else {"version": broken_at, "problem": problem},
    }
