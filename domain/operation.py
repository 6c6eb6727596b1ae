"""The Operation aggregate: an enforcement action an investigation plans, checked against all others, then
approved, started and completed with its results (or called off)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import rules
from domain.aggregate import ChainedAggregate
from domain.envelope import Envelope
from domain.errors import DomainError, NotPermitted, StateConflict
from domain.operation_plan import PLAN_FIELDS, checked_plan
from domain.results import checked_results

# Kept in the deconfliction index, compared with every new submission: until it is over or called off.
DECONFLICTED = frozenset({"planned", "approved", "started"})
STATUSES = ("planned", "approved", "started", "completed", "cancelled", "withdrawn")


class StartRefused(StateConflict):
    """An operation may not start while a conflict of it is open, unless a supervisor exempted it."""

    def __init__(self, open_conflicts: list[str]):
        super().__init__(f"resolve the operation's open conflicts, or have a supervisor exempt it, before it starts: "
                         f"{', '.join(open_conflicts)}", extensions={"open_conflicts": open_conflicts})
        self.open_conflicts = open_conflicts


class Operation(ChainedAggregate):
    """A planned enforcement operation of one investigation, run by the agency that planned it."""

    type_name = "operation"
    references = frozenset({"investigation_id"})

    if TYPE_CHECKING:
        investigation_id: UUID
        owning_agency: str
        deconfliction_number: str
        plan: dict[str, Any]
        status: str
        late_entry: dict[str, Any] | None
        approval: dict[str, Any] | None
        exemption: dict[str, Any] | None
        started_at: datetime | None
        completed_at: datetime | None
        results: dict[str, Any] | None

    class Planned(ChainedAggregate.Created):
        investigation_id: UUID
        owning_agency: str
        deconfliction_number: str
        plan: dict[str, Any]

        def apply(self, op: Operation) -> None:
            _planned(op, self)

    class RecordedLate(ChainedAggregate.Created):
        """An operation recorded after it started (exigent circumstances): deconflicted all the same."""

        investigation_id: UUID
        owning_agency: str
        deconfliction_number: str
        plan: dict[str, Any]
        reason: str

        def apply(self, op: Operation) -> None:
            _planned(op, self)
            op.status, op.started_at, op.late_entry = "started", self.plan["starts_at"], {"reason": self.reason}

    class Amended(ChainedAggregate.Event):
        changed: list[str]
        plan: dict[str, Any]

        def apply(self, op: Operation) -> None:
            op.plan = self.plan
            if op.status == "approved":  # an approval is of the plan as it was approved
                op.status, op.approval = "planned", None

    class Approved(ChainedAggregate.Event):
        note: str

        def apply(self, op: Operation) -> None:
            op.status, op.approval = "approved", {"by": self.envelope["actor"], "at": self.occurred_at,
                                                  "note": self.note}

    class Exempted(ChainedAggregate.Event):
        """A supervisor let the operation start although conflicts of it are still open."""

        reason: str

        def apply(self, op: Operation) -> None:
            op.exemption = {"by": self.envelope["actor"], "at": self.occurred_at, "reason": self.reason}

    class Started(ChainedAggregate.Event):
        def apply(self, op: Operation) -> None:
            op.status, op.started_at = "started", self.occurred_at

    class Completed(ChainedAggregate.Event):
        results: dict[str, Any]

        def apply(self, op: Operation) -> None:
            op.status, op.completed_at, op.results = "completed", self.occurred_at, self.results

    class Cancelled(ChainedAggregate.Event):
        reason: str

        def apply(self, op: Operation) -> None:
            op.status = "cancelled"

    class Withdrawn(ChainedAggregate.Event):
        reason: str

        def apply(self, op: Operation) -> None:
            op.status = "withdrawn"

    @classmethod
    def plan_for(
        cls, *, id: UUID, investigation_id: UUID, number: str, plan: dict[str, Any], envelope: Envelope,  # noqa: A002
    ) -> Operation:
        """Plan an operation (its fields checked by `checked_plan`) owned by the planner's agency."""
        return cls._start(cls.Planned, id=id, envelope=envelope, investigation_id=investigation_id,
                          owning_agency=envelope.actor.agency, deconfliction_number=number, plan=plan)

    @classmethod
    def record_late(
        cls, *, id: UUID, investigation_id: UUID, number: str, plan: dict[str, Any], reason: Any,  # noqa: A002
        envelope: Envelope,
    ) -> Operation:
        """Record an operation that started already (`plan` checked with `late=True`), with why it was not planned."""
        return cls._start(cls.RecordedLate, id=id, envelope=envelope, occurred_at=plan["starts_at"],
                          investigation_id=investigation_id, owning_agency=envelope.actor.agency,
                          deconfliction_number=number, plan=plan,
                          reason=rules.text(reason, "late_entry_reason", max_len=2000))

    def amend(self, *, changes: dict[str, Any], now: datetime, envelope: Envelope) -> list[str]:
        """Change any fields of the plan; returns which changed (none: nothing is recorded).

        An approved operation whose plan changes needs approving again."""
        self._require(DECONFLICTED, "amend")
        unknown = sorted(set(changes) - set(PLAN_FIELDS))
        if unknown:
            raise DomainError(f"not a field of the plan: {', '.join(unknown)}", unknown[0])
        merged = checked_plan({**self.plan, **changes}, now=now, fresh=set(changes))
        changed = [name for name in PLAN_FIELDS if merged.get(name) != self.plan.get(name)]
        if changed:
            self._record(self.Amended, envelope=envelope, changed=changed, plan=merged)
        return changed

    def withdraw(self, *, reason: str, envelope: Envelope) -> None:
        """Take back a plan that has not started; it is no longer deconflicted against."""
        self._require(("planned", "approved"), "withdraw")
        self._record(self.Withdrawn, envelope=envelope, reason=rules.text(reason, "reason", max_len=2000))

    def approve(self, *, note: str | None, envelope: Envelope) -> None:
        """A supervisor of the planning agency approves the plan as it stands."""
        self._require_supervisor(envelope, "approves")
        self._require(("planned",), "approve")
        self._record(self.Approved, envelope=envelope, note=rules.optional_text(note, "note", max_len=2000))

    def exempt(self, *, reason: str, envelope: Envelope) -> None:
        """A supervisor of the planning agency lets it start with conflicts still open, and says why."""
        self._require_supervisor(envelope, "exempts")
        self._require(("planned", "approved"), "exempt")
        if self.exemption is not None:
            raise StateConflict("the operation was exempted already")
        self._record(self.Exempted, envelope=envelope, reason=rules.text(reason, "reason", max_len=2000))

    def start(self, *, started_at: datetime, now: datetime, open_conflicts: list[str], envelope: Envelope) -> None:
        """Go: only once approved, and with every conflict of it resolved unless a supervisor exempted it."""
        self._require(("approved",), "start")
        if started_at > now:
            raise DomainError("an operation starts now or has started; it cannot start later", "started_at")
        if open_conflicts and self.exemption is None:
            raise StartRefused(open_conflicts)
        self._record(self.Started, envelope=envelope, occurred_at=started_at)

    def complete(self, *, results: Any, subject_ids: frozenset[str], completed_at: datetime, now: datetime,
                 envelope: Envelope) -> None:
        """The operation is over: what it achieved, on record."""
        self._require(("started",), "complete")
        if completed_at > now or (self.started_at is not None and completed_at < self.started_at):
            raise DomainError("must be after the start and not in the future", "completed_at")
        self._record(self.Completed, envelope=envelope, occurred_at=completed_at,
                     results=checked_results(results, subject_ids))

    def cancel(self, *, reason: str, envelope: Envelope) -> None:
        """Call the operation off at any point before it is completed; it is no longer deconflicted against."""
        self._require(DECONFLICTED, "cancel")
        self._record(self.Cancelled, envelope=envelope, reason=rules.text(reason, "reason", max_len=2000))

    @property
    def deconflicted(self) -> bool:
        """Whether it is kept in the deconfliction index and compared with every new submission."""
        return self.status in DECONFLICTED

    def access_of(self, agency: str) -> str | None:
        """Alone, an operation is its planner's; the use cases also let in whoever sees its investigation."""
        return "owner" if agency == self.owning_agency else None

    def _require(self, statuses: Any, verb: str) -> None:
        if self.status not in statuses:
            raise StateConflict(f"an operation that is {self.status} cannot {verb}; it must be "
                                f"{' or '.join(s for s in STATUSES if s in statuses)}", "status")

    def _require_supervisor(self, envelope: Envelope, verb: str) -> None:
        actor = envelope.actor
        if actor.agency != self.owning_agency or not actor.has_any_role("supervisor"):
            raise NotPermitted(f"only a supervisor of {self.owning_agency} {verb} its operations")


def _planned(op: Operation, event: Any) -> None:
    op.investigation_id, op.owning_agency = event.investigation_id, event.owning_agency
    op.deconfliction_number, op.plan, op.status = event.deconfliction_number, event.plan, "planned"
    op.late_entry = op.approval = op.exemption = op.started_at = op.completed_at = op.results = None
