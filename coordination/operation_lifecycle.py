"""Use cases of an operation's lifecycle: approve, exempt, start (guarded by its deconfliction), complete, cancel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from coordination.commands import CommandRunner, Outcome, Session, check_version, require_if_match
from coordination.context import RequestContext
from coordination.deconfliction import Deconfliction
from coordination.operations import PLANNER, checked_view, identifiers_of, operation_target, operation_view
from domain.conflict import CLOSED
from domain.investigation import Investigation
from domain.operation import Operation


def _now() -> datetime:
    return datetime.now(UTC)


class OperationLifecycle:
    """Moves an operation from approved to started to completed, keeping its deconfliction current."""

    def __init__(self, runner: CommandRunner, deconfliction: Deconfliction):
        self.runner = runner
        self.deconfliction = deconfliction

    def approve(self, ctx: RequestContext, op_id: UUID, *, note: str | None, expected_version: int | None) -> Outcome:
        """A supervisor of the planning agency approves the plan as it stands."""
        return self._step(ctx, op_id, expected_version, lambda op: op.approve(note=note, envelope=ctx.envelope))

    def exempt(self, ctx: RequestContext, op_id: UUID, *, reason: str, expected_version: int | None) -> Outcome:
        """A supervisor lets the operation start with conflicts still open, on record with the reason."""
        return self._step(ctx, op_id, expected_version, lambda op: op.exempt(reason=reason, envelope=ctx.envelope))

    def start(self, ctx: RequestContext, op_id: UUID, *, started_at: datetime | None,
              expected_version: int | None) -> Outcome:
        """Go. The operation is checked again first, in the same save: a conflict detected a moment ago, or one
        not yet resolved, refuses the start (409 naming them) unless a supervisor exempted the operation."""
        require_if_match(expected_version)

        def decide(session: Session, op: Operation) -> dict[str, Any]:
            check_version(op, expected_version)
            check = self.deconfliction.check(session, op, dict(op.plan), ctx.envelope, self._identifiers(session, op))
            open_conflicts = [str(c.id) for c in check.visible() if c.status not in CLOSED]
            op.start(started_at=started_at or _now(), now=_now(), open_conflicts=open_conflicts,
                     envelope=ctx.envelope)
            session.add(op)
            return checked_view(op, check, ctx.actor.agency)

        return self.runner.run(ctx, decide, target=operation_target(op_id, PLANNER), retry_on_conflict=True)

    def complete(self, ctx: RequestContext, op_id: UUID, *, results: Any, completed_at: datetime | None,
                 expected_version: int | None) -> Outcome:
        """Record what the operation achieved; it leaves the index and its open conflicts become obsolete."""
        def change(session: Session, op: Operation) -> None:
            case = session.find(Investigation, op.investigation_id)
            subjects = frozenset(case.subjects) if case is not None else frozenset()
            op.complete(results=results, subject_ids=subjects, completed_at=completed_at or _now(), now=_now(),
                        envelope=ctx.envelope)

        return self._ending(ctx, op_id, expected_version, change)

    def cancel(self, ctx: RequestContext, op_id: UUID, *, reason: str, expected_version: int | None) -> Outcome:
        """Call the operation off before it is completed; its open conflicts become obsolete for both sides."""
        return self._ending(ctx, op_id, expected_version,
                            lambda session, op: op.cancel(reason=reason, envelope=ctx.envelope))

    def _step(self, ctx: RequestContext, op_id: UUID, expected_version: int | None,
              change: Callable[[Operation], None]) -> Outcome:
        """A change that leaves the plan and its deconfliction as they are."""
        require_if_match(expected_version)

        def decide(session: Session, op: Operation) -> dict[str, Any]:
            check_version(op, expected_version)
            change(op)
            session.add(op)
            return operation_view(op)

        return self.runner.run(ctx, decide, target=operation_target(op_id, PLANNER), retry_on_conflict=False,
                               guarded=True)

    def _ending(self, ctx: RequestContext, op_id: UUID, expected_version: int | None,
                change: Callable[[Session, Operation], None]) -> Outcome:
        """A change after which the operation is no longer deconflicted against: it leaves the index."""
        require_if_match(expected_version)

        def decide(session: Session, op: Operation) -> dict[str, Any]:
            check_version(op, expected_version)
            before = dict(op.plan)
            change(session, op)
            check = self.deconfliction.check(session, op, before, ctx.envelope, self._identifiers(session, op))
            session.add(op)
            return checked_view(op, check, ctx.actor.agency)

        # A lost race on an index record is retried, and the retry checks If-Match again.
        return self.runner.run(ctx, decide, target=operation_target(op_id, PLANNER), retry_on_conflict=True)

    @staticmethod
    def _identifiers(session: Session, op: Operation) -> Callable[[list[str]], list[dict[str, Any]]]:
        return identifiers_of(session.find(Investigation, op.investigation_id))
