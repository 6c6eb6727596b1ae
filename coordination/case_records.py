"""Records an agency adds to an investigation (operations, evidence, referrals): seen through their case.

A record of this kind has `investigation_id` and `owning_agency` (the agency that added it). Its author's agency
may change it; whoever may see the case sees it too, unless the third agency rule hides the author's
contributions from them, or it is a prosecutor's office and the record is not for every office
(`seen_by_referred_offices`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from coordination import access
from coordination.commands import Session, Target
from coordination.context import RequestContext
from domain.aggregate import ChainedAggregate
from domain.investigation import PROSECUTION, Investigation
from domain.sharing import sees_contribution


@dataclass(frozen=True)
class SeenThroughCase:
    """What an agency may do with a record of a case: `author` for the agency that added it, else its access
    to the case, if it may see the author's contributions to that case."""

    record: Any
    case: Investigation | None

    def access_of(self, agency: str) -> str | None:
        own = self.record.access_of(agency)
        if own == "owner":
            return access.AUTHOR
        if self.case is None:
            return None
        author_visible = sees_contribution(agency, self.case.owning_agency, self.record.owning_agency)
        level = self.case.access_of(agency) if author_visible else None
        if level == PROSECUTION and not self.record.seen_by_referred_offices:
            return own  # e.g. a referral: its own office's from its submission, no other office's
        return level


def through_case(session: Session, record: Any, ctx: RequestContext | None = None) -> SeenThroughCase:
    """The judge of a case's record for `Target(via=...)`: its case, loaded in the same session."""
    return SeenThroughCase(record, session.find(Investigation, record.investigation_id))


def case_record(kind: type[ChainedAggregate], record_id: UUID, policy: access.Policy) -> Target:
    """A record of a case as a command's target, guarded by `policy` as seen through its case."""
    return Target(kind, record_id, policy, via=through_case)


def may_see(session: Session, ctx: RequestContext, record_id: UUID) -> bool:
    """Whether the caller may see any stored record: a case's record through its case, any other by itself."""
    record = session.find(ChainedAggregate, record_id)
    if record is None:
        return False
    judge = through_case(session, record) if hasattr(record, "investigation_id") else record
    return access.seen_level(ctx.actor, judge.access_of(ctx.actor.agency)) is not None
