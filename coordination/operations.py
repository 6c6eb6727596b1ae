"""Use cases of operations: plan, amend, withdraw and read, each deconflicted in the same atomic save."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from coordination import access
from coordination.case_records import case_record
from coordination.commands import (
    CommandRunner,
    Outcome,
    Session,
    Target,
    check_version,
    require_if_match,
    translated_store_errors,
)
from coordination.context import RequestContext
from coordination.deconfliction import Check, Deconfliction, deconfliction_answer, new_deconfliction_number
from coordination.errors import Conflict, Invalid
from coordination.history import who
from coordination.investigations import contributing
from domain.investigation import Investigation
from domain.lifecycle import FROZEN
from domain.operation import Operation
from domain.operation_plan import checked_plan

KIND = Operation
# Only the planning agency changes or calls off its operation: a partner that sees the case reads it, and a
# partner able to withdraw it could silence its deconfliction.
PLANNER = access.Policy("changing", frozenset({access.AUTHOR}), access.CASE_WRITERS,
                        "only the agency that planned this {kind} changes it")


def _now() -> datetime:
    return datetime.now(UTC)


def operation_target(op_id: UUID, policy: access.Policy) -> Target:
    return case_record(Operation, op_id, policy)


def operation_view(op: Operation) -> dict[str, Any]:
    """The operation as its readers see it."""
    return {
        "id": op.id,
        "investigation_id": op.investigation_id,
        "owning_agency": op.owning_agency,
        "deconfliction_number": op.deconfliction_number,
        "status": op.status,
        "version": op.version,
        **op.plan,
        "late_entry": op.late_entry,
        "approval": _signed(op.approval),
        "exemption": _signed(op.exemption),
        "started_at": op.started_at,
        "completed_at": op.completed_at,
        "results": op.results,
    }


def _signed(decision: dict[str, Any] | None) -> dict[str, Any] | None:
    """A supervisor's decision as readers see it: who (name and agency), when, and what they wrote."""
    if decision is None:
        return None
    return {"by": who(decision["by"]), "at": decision["at"],
            **{k: v for k, v in decision.items() if k not in ("by", "at")}}


def checked_view(op: Operation, check: Check, agency: str) -> dict[str, Any]:
    """The operation with the answer of its check: what conflicts, with whom to call, and what was compared."""
    return {**operation_view(op), "deconfliction": deconfliction_answer(check, agency, own=str(op.id))}


def identifiers_of(inv: Investigation | None) -> Callable[[list[str]], list[dict[str, Any]]]:
    """The identifiers of the case's subjects an operation names (E3 matches operations on them)."""
    def of(subject_ids: list[str]) -> list[dict[str, Any]]:
        subjects = inv.subjects if inv is not None else {}
        return [i for s in subject_ids if s in subjects for i in subjects[s]["identifiers"]]
    return of


class Operations:
    """Plans operations and keeps their deconfliction current through every change."""

    def __init__(self, runner: CommandRunner, deconfliction: Deconfliction):
        self.runner = runner
        self.ledger = runner.ledger
        self.deconfliction = deconfliction

    def plan(self, ctx: RequestContext, *, investigation_id: UUID, late_entry_reason: str | None = None,
             **fields: Any) -> Outcome:
        """Plan an operation of an investigation the caller may add to; the answer says whom to call.

        With `late_entry_reason`, record one that started already: it is deconflicted all the same."""

        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            _refuse_if_frozen(inv)
            plan = checked_plan(fields, now=_now(), late=late_entry_reason is not None)
            _check_subjects(inv, plan["subject_ids"])
            number = new_deconfliction_number(_now())
            op_id = self.runner.keys().operation(number)
            if late_entry_reason is None:
                op = Operation.plan_for(id=op_id, investigation_id=inv.id, number=number, plan=plan,
                                        envelope=ctx.envelope)
            else:
                op = Operation.record_late(id=op_id, investigation_id=inv.id, number=number, plan=plan,
                                           reason=late_entry_reason, envelope=ctx.envelope)
            check = self.deconfliction.check(session, op, None, ctx.envelope, identifiers_of(inv))
            session.add(op)
            return checked_view(op, check, ctx.actor.agency)

        return self.runner.run(ctx, decide, target=contributing(investigation_id), retry_on_conflict=True)

    def amend(
        self, ctx: RequestContext, op_id: UUID, *, changes: dict[str, Any], expected_version: int | None
    ) -> Outcome:
        """Change the plan and check it again: new pairs are reported, pairs that no longer hold made obsolete."""
        require_if_match(expected_version)

        def decide(session: Session, op: Operation) -> dict[str, Any]:
            check_version(op, expected_version)
            before = dict(op.plan)
            changed = op.amend(changes=changes, now=_now(), envelope=ctx.envelope)
            case = session.find(Investigation, op.investigation_id)
            if "subject_ids" in changed and case is not None:
                _check_subjects(case, op.plan["subject_ids"])
            check = self.deconfliction.check(session, op, before, ctx.envelope, identifiers_of(case))
            session.add(op)
            return checked_view(op, check, ctx.actor.agency)

        # Not `guarded`: a lost race on an index record is retried, and the retry checks If-Match again.
        return self.runner.run(ctx, decide, target=operation_target(op_id, PLANNER),
                               retry_on_conflict=True)

    def withdraw(self, ctx: RequestContext, op_id: UUID, *, reason: str, expected_version: int | None) -> Outcome:
        """Call the operation off: it leaves the index and its open conflicts become obsolete."""

        def decide(session: Session, op: Operation) -> dict[str, Any]:
            check_version(op, expected_version)
            before = dict(op.plan)
            op.withdraw(reason=reason, envelope=ctx.envelope)
            case = session.find(Investigation, op.investigation_id)
            check = self.deconfliction.check(session, op, before, ctx.envelope, identifiers_of(case))
            session.add(op)
            return checked_view(op, check, ctx.actor.agency)

        return self.runner.run(ctx, decide, target=operation_target(op_id, PLANNER),
                               retry_on_conflict=True)

    def get(self, ctx: RequestContext, op_id: UUID) -> Outcome:
        """One operation as it stands, for its planner and whoever sees its investigation."""
        with translated_store_errors():
            op = operation_target(op_id, access.READ).checked(Session(self.ledger), ctx)
        return Outcome(operation_view(op), touched=access.touched(op))


def _refuse_if_frozen(inv: Investigation) -> None:
    if inv.status in FROZEN:
        raise Conflict(f"the case is {inv.status}; reopen it before planning operations")


def _check_subjects(inv: Investigation, subject_ids: list[str]) -> None:
    for index, subject_id in enumerate(subject_ids):
        if subject_id not in inv.subjects:
            raise Invalid("is not a subject of this investigation", f"subject_ids.{index}")
