"""Use cases of conflicts: the coordination group takes them, the parties acknowledge and resolve them.

What a party learns of the other side is its pointer only: agency, point of contact, deconfliction number.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from coordination import access
from coordination.commands import CommandRunner, Outcome, Session, Target, check_version, translated_store_errors
from coordination.context import RequestContext
from domain.conflict import Conflict

KIND = Conflict
COORDINATORS = access.COORDINATORS
READERS = access.CASE_READERS | COORDINATORS
READ = access.Policy("reading", frozenset({"party", "coordinator"}), readers=READERS)
TAKE = access.Policy("taking", frozenset({"party", "coordinator"}), COORDINATORS, readers=READERS)
ACKNOWLEDGE = access.Policy("acknowledging", frozenset({"party"}), access.CASE_WRITERS,
                            "only a party to this {kind} acknowledges it", readers=READERS)
SETTLE = access.Policy("settling", frozenset({"party", "coordinator"}), access.CASE_WRITERS | COORDINATORS,
                       readers=READERS)


def pointer(party: dict[str, Any]) -> dict[str, Any]:
    """All that leaves the system of one side: whom to call about it."""
    return {"agency": party["agency"], "point_of_contact": dict(party["point_of_contact"]),
            "deconfliction_number": party["deconfliction_number"]}


def conflict_view(
    conflict: Conflict, agency: str, *, own: str | None = None, coordinator: bool = False
) -> dict[str, Any]:
    """The conflict as one reader may see it: a party sees its own side and the other's pointer; a coordinator
    sees both pointers. `own` names the reader's submission when an agency is on both sides."""
    parties = conflict.parties
    mine = next((p for p in parties if own is not None and p.get("ref", p["operation_id"]) == own), None) or next(
        (p for p in parties if p["agency"] == agency), None)
    view: dict[str, Any] = {
        "id": conflict.id,
        "kind": conflict.kind,
        "severity": conflict.severity,
        "status": conflict.status,
        "distance_m": conflict.distance_m,
        "overlap": conflict.overlap,
        "detected_at": conflict.detected_at,
        "acknowledge_by": conflict.acknowledge_by,
        "acknowledged_by": list(conflict.acknowledged_by),
        "coordinator": ({"name": conflict.coordinator["name"], "agency": conflict.coordinator["agency"]}
                        if conflict.coordinator else None),
        "escalated": conflict.escalation is not None,
        "resolution": conflict.resolution,
        # A side recorded after it started: the other learns of it late, and the board says so.
        "late": any(p.get("late", False) for p in parties),
        "version": conflict.version,
    }
    if mine is not None:
        other = next(p for p in parties if p is not mine)
        view["own"] = {"operation_id": mine["operation_id"], "subject_id": mine.get("subject_id"),
                       "deconfliction_number": mine["deconfliction_number"]}
        view["counterpart"] = pointer(other)
    if coordinator:
        view["parties"] = [pointer(p) for p in parties]
    return view


class Conflicts:
    """Moves conflicts along their lifecycle: detected, owned, acknowledged, then resolved or escalated."""

    def __init__(self, runner: CommandRunner):
        self.runner = runner
        self.ledger = runner.ledger

    def get(self, ctx: RequestContext, conflict_id: UUID) -> Outcome:
        """One conflict, at pointer level."""
        with translated_store_errors():
            conflict = _target(conflict_id, READ).checked(Session(self.ledger), ctx)
        return Outcome(_view(conflict, ctx), touched=access.touched(conflict))

    def take(
        self, ctx: RequestContext, conflict_id: UUID, *, note: str | None, expected_version: int | None
    ) -> Outcome:
        """A coordinator owns the conflict until it is resolved."""
        return self._step(ctx, conflict_id, TAKE, expected_version,
                          lambda c: c.take(note=note, envelope=ctx.envelope))

    def acknowledge(
        self, ctx: RequestContext, conflict_id: UUID, *, note: str | None, expected_version: int | None
    ) -> Outcome:
        """A party says it has the other's pointer and will call."""
        return self._step(ctx, conflict_id, ACKNOWLEDGE, expected_version,
                          lambda c: c.acknowledge(note=note, envelope=ctx.envelope))

    def resolve(
        self, ctx: RequestContext, conflict_id: UUID, *, resolution: str, note: str, expected_version: int | None
    ) -> Outcome:
        """Record how the parties settled it."""
        return self._step(ctx, conflict_id, SETTLE, expected_version,
                          lambda c: c.resolve(resolution=resolution, note=note, envelope=ctx.envelope))

    def escalate(self, ctx: RequestContext, conflict_id: UUID, *, reason: str, expected_version: int | None) -> Outcome:
        """Hand the conflict up when the parties cannot agree."""
        return self._step(ctx, conflict_id, SETTLE, expected_version,
                          lambda c: c.escalate(reason=reason, envelope=ctx.envelope))

    def _step(self, ctx: RequestContext, conflict_id: UUID, policy: access.Policy, expected_version: int | None,
              change: Any) -> Outcome:
        def decide(session: Session, conflict: Conflict) -> dict[str, Any]:
            check_version(conflict, expected_version)
            change(conflict)
            session.add(conflict)
            return _view(conflict, ctx)

        return self.runner.run(ctx, decide, target=_target(conflict_id, policy), retry_on_conflict=True)


def _target(conflict_id: UUID, policy: access.Policy) -> Target:
    return Target(Conflict, conflict_id, policy, via=access.as_party_or_coordinator)


def _view(conflict: Conflict, ctx: RequestContext) -> dict[str, Any]:
    coordinator = ctx.actor.has_any_role(*COORDINATORS)
    return conflict_view(conflict, ctx.actor.agency, coordinator=coordinator)
