"""Checks that a case's stored history is the one that was written: chain, end of chain, snapshots."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from coordination.anchors import ChainAnchors
from coordination.ledger import UNREADABLE, Ledger
from domain.chain import GENESIS, event_digest

_BOOKKEEPING = ("_pending_events",)


def verify_chain(ledger: Ledger, aggregate_id: UUID, anchors: ChainAnchors | None = None) -> dict[str, Any]:
    """Walk every stored event against its digest and its predecessor's, then the anchored head and snapshots.

    Names the first broken link: an edited event, a missing one, a missing end of the chain, or a snapshot
    that does not match the events it summarises.
    """
    stored = ledger.recorder.select_events(aggregate_id)
    digests: dict[int, str] = {}
    previous, expected_version = GENESIS, 1
    for record in stored:
        try:
            state = decoded_state(ledger, record.state)
        except Exception:  # noqa: BLE001 - any failure to decode is itself the finding
            return _report(aggregate_id, len(stored), record.originator_version, "cannot be decoded")
        problem = _link_problem(record, state, previous, expected_version)
        if problem:
            return _report(aggregate_id, len(stored), record.originator_version, problem)
        previous, expected_version = state["digest"], record.originator_version + 1
        digests[record.originator_version] = previous
    broken = _end_problem(anchors, aggregate_id, digests) or _snapshot_problem(ledger, aggregate_id)
    if broken:
        return _report(aggregate_id, len(stored), *broken)
    return _report(aggregate_id, len(stored), None, None, head=previous)


def intact_prefix(ledger: Ledger, aggregate_id: UUID) -> Any | None:
    """The record as its stored events make it up to the first broken link (None when the first is broken): what
    may still be judged of a record whose history was altered, such as who may see it."""
    aggregate, previous, expected_version = None, GENESIS, 1
    for record in ledger.recorder.select_events(aggregate_id):
        try:
            state = decoded_state(ledger, record.state)
            if _link_problem(record, state, previous, expected_version):
                break
            aggregate = ledger.mapper.to_domain_event(record).mutate(aggregate)
        except Exception:  # noqa: BLE001 - whatever fails to read ends the intact part
            break
        previous, expected_version = state["digest"], record.originator_version + 1
    return aggregate


def stored_content(ledger: Ledger, state: bytes) -> bytes:
    """A stored event's content as written: decrypted and decompressed, not decoded."""
    mapper = ledger.mapper
    if mapper.cipher:
        state = mapper.cipher.decrypt(state)
    if mapper.compressor:
        state = mapper.compressor.decompress(state)
    return state


def decoded_state(ledger: Ledger, data: bytes) -> dict[str, Any]:
    """A stored event's state as the transcoder decodes it (decrypted and decompressed first)."""
    return ledger.mapper.transcoder.decode(stored_content(ledger, data))


def _link_problem(record: Any, state: dict[str, Any], previous: str, expected_version: int) -> str | None:
    if record.originator_version != expected_version:
        return f"event {expected_version} is missing"
    if state.get("prev_digest") != previous:
        return "does not link to the event before it"
    digest = event_digest(record.topic, record.originator_id, record.originator_version, state)
    if state.get("digest") != digest:
        return "its content does not match its digest"
    return None


def _end_problem(anchors: ChainAnchors | None, aggregate_id: UUID, digests: dict[int, str]) -> tuple[int, str] | None:
    anchored = anchors.anchored(aggregate_id) if anchors is not None else None
    if anchored is None:
        return None
    version, digest = anchored
    last = max(digests, default=0)
    if version > last:
        return last + 1, f"events {last + 1} to {version} are missing (the chain was anchored at {version})"
    if digests.get(version) != digest:
        return version, "does not match the digest anchored for it"
    return None


def _snapshot_problem(ledger: Ledger, aggregate_id: UUID) -> tuple[int, str] | None:
    if ledger.snapshots is None:
        return None
    snapshots: dict[int, Any] = {}
    for stored in ledger.snapshots.recorder.select_events(aggregate_id):
        try:
            snapshots[stored.originator_version] = ledger.mapper.to_domain_event(stored)
        except UNREADABLE:
            return stored.originator_version, "its snapshot cannot be decoded"
    if not snapshots:
        return None
    replayed: Any = None
    event: Any
    for event in ledger.events.get(aggregate_id, lte=max(snapshots)):
        replayed = event.mutate(replayed)
        snapshot = snapshots.get(event.originator_version)
        if snapshot is not None and _state(snapshot.mutate(None)) != _state(replayed):
            return event.originator_version, "its snapshot does not match the events before it"
    return None


def _state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k not in _BOOKKEEPING}


def _report(
    aggregate_id: UUID, count: int, broken_at: int | None, problem: str | None, head: str | None = None
) -> dict[str, Any]:
    return {
        "record_id": aggregate_id,
        "intact": problem is None,
        "events": count,
        "head": head,
        "first_broken": None if problem is None else {"version": broken_at, "problem": problem},
    }
