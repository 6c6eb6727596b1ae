"""Use cases of a case's clocks: a supervisor's periodic review, and the cases overdue for a report or a review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from coordination import access
from coordination.commands import CommandRunner, Outcome, Session, Target, check_version, guards
from coordination.context import RequestContext
from coordination.errors import Forbidden
from coordination.investigations import investigation_view
from coordination.ledger import Ledger
from coordination.read_your_writes import after_position
from domain.investigation import Investigation


class ClockReader(Protocol):
    def wait_for(self, position: int, timeout: float) -> bool: ...

    def overdue(self, *, now: datetime, agency: str | None) -> list[dict[str, Any]]: ...


class Clocks:
    """Records supervisory reviews and says which cases are overdue, to whom may know."""

    def __init__(self, runner: CommandRunner, reader: ClockReader, *, ledger: Ledger, read_wait_max: float,
                 unavailable: tuple[type[Exception], ...]):
        self.runner = runner
        self.reader = reader
        self.ledger = ledger
        self.read_wait_max = read_wait_max
        self.unavailable = unavailable
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)  # what time it is (tests move it on)

    def review(self, ctx: RequestContext, inv_id: UUID, *, note: str, expected_version: int | None) -> Outcome:
        """A supervisor of the owning agency reviews the case: its review clock starts again."""

        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            check_version(inv, expected_version)
            inv.review(note=note, envelope=ctx.envelope)
            session.add(inv)
            return investigation_view(inv, ctx.actor.agency)

        return self.runner.run(ctx, decide, target=Target(Investigation, inv_id, access.SUPERVISE),
                               retry_on_conflict=True, guarded=guards(expected_version))

    def overdue(self, ctx: RequestContext, *, min_position: int | None) -> dict[str, Any]:
        """Opening reports and reviews overdue: every agency's for coordinators, their own for supervisors."""
        actor = ctx.actor
        if actor.has_any_role(*access.COORDINATORS):
            agency = None
        elif actor.has_any_role("supervisor"):
            agency = actor.agency
        else:
            raise Forbidden("the overdue list is for coordinators, and for supervisors of their own agency")
        now = self.now()
        items = after_position(self.ledger, self.reader, min_position, wait_max=self.read_wait_max,
                               unavailable=self.unavailable, what="the case clocks",
                               query=lambda: self.reader.overdue(now=now, agency=agency))
        return {"as_of": now, "items": items}
