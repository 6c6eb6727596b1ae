"""Use cases of referrals: draft, approve and submit a case to a prosecutor's office, which accepts, declines or
returns it; from submission on, that office's prosecutors read the case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

from coordination import access
from coordination.case_records import SeenThroughCase, case_record
from coordination.commands import (
    CommandRunner,
    Outcome,
    Session,
    check_version,
    require_if_match,
    translated_store_errors,
)
from coordination.context import RequestContext
from coordination.errors import Invalid
from coordination.history import who
from coordination.investigations import managing, readable
from domain.case_file import CaseFile
from domain.investigation import PROSECUTION, Investigation
from domain.referral import Referral

KIND = Referral
# The owning agency prepares and submits; its supervisors approve; the office's prosecutors decide.
PREPARE = access.Policy("submitting", frozenset({access.AUTHOR}), access.CASE_WRITERS,
                        "only the agency that referred this case submits its {kind}")
APPROVE = access.Policy("approving", frozenset({access.AUTHOR}), frozenset({"supervisor"}),
                        "only the referring agency's supervisors approve its {kind}")
DECIDE = access.Policy("deciding", frozenset({PROSECUTION}), access.PROSECUTORS,
                       "only the prosecutors of the office it was referred to decide this {kind}",
                       readers=access.CASE_READERS | access.PROSECUTORS)


def referral_view(referral: Referral) -> dict[str, Any]:
    """A referral as its readers see it: where it went, what it proposes, each step with who took it."""
    approval, decision = referral.approval, referral.decision
    return {
        "id": referral.id,
        "investigation_id": referral.investigation_id,
        "owning_agency": referral.owning_agency,
        "office": referral.office,
        "charge_ids": list(referral.charge_ids),
        "memo": referral.memo,
        "status": referral.status,
        "approval": {**approval, "by": who(approval["by"])} if approval else None,
        "submitted_at": referral.submitted_at,
        "decision": {**decision, "by": who(decision["by"])} if decision else None,
        "version": referral.version,
    }


class Referrals:
    """Referrals of cases to prosecutors' offices, each step guarded by If-Match."""

    def __init__(self, runner: CommandRunner, *, access_kept: bool = True):
        self.runner = runner
        self.ledger = runner.ledger
        self.access_kept = access_kept  # whether an office reads on after declining or returning a referral

    def draft(self, ctx: RequestContext, inv_id: UUID, *, office: str, charge_ids: list[UUID] | None,
              memo: str | None) -> Outcome:
        """Draft a referral of the case to an office, naming the proposed counts it puts forward."""

        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            inv.check_may_refer(office)
            charges = self._charges(session, inv, charge_ids)
            referral = Referral.draft(id=uuid4(), investigation_id=inv.id, office=office, charge_ids=charges,
                                      memo=memo, envelope=ctx.envelope)
            inv.attach(record_type=Referral.type_name, record_id=referral.id, envelope=ctx.envelope)
            session.add(referral, inv)
            return referral_view(referral)

        return self.runner.run(ctx, decide, target=managing(inv_id), retry_on_conflict=True)

    def approve(self, ctx: RequestContext, referral_id: UUID, *, note: str | None,
                expected_version: int | None) -> Outcome:
        """A supervisor of the referring agency approves the referral as drafted."""
        return self._step(ctx, referral_id, expected_version, APPROVE,
                          lambda session, r: r.approve(note=note, envelope=ctx.envelope))

    def submit(self, ctx: RequestContext, referral_id: UUID, *, expected_version: int | None) -> Outcome:
        """Send the approved referral: in the same save, the office's prosecutors begin to read the case."""
        def change(session: Session, referral: Referral) -> None:
            referral.submit(envelope=ctx.envelope)
            inv = self._case(session, referral)
            inv.refer(office=referral.office, referral_id=referral.id, envelope=ctx.envelope)
            inv.follow_referral(status="referred", reason="a referral was submitted", envelope=ctx.envelope)
            session.add(inv)

        return self._step(ctx, referral_id, expected_version, PREPARE, change)

    def accept(self, ctx: RequestContext, referral_id: UUID, *, counts: list[dict[str, Any]] | None,
               memo: str | None, expected_version: int | None) -> Outcome:
        """The office takes the case and decides each count (a declined count with its reason)."""
        def change(session: Session, referral: Referral) -> None:
            referral.accept(counts=counts, memo=memo, envelope=ctx.envelope)
            self._after_decision(session, referral, ctx)

        return self._step(ctx, referral_id, expected_version, DECIDE, change)

    def decline(self, ctx: RequestContext, referral_id: UUID, *, reason: str, memo: str,
                expected_version: int | None) -> Outcome:
        """The office declines the case, for a Justice Manual 9-27.220 reason, with a memo."""
        def change(session: Session, referral: Referral) -> None:
            referral.decline(reason=reason, memo=memo, envelope=ctx.envelope)
            self._after_decision(session, referral, ctx)

        return self._step(ctx, referral_id, expected_version, DECIDE, change)

    def send_back(self, ctx: RequestContext, referral_id: UUID, *, memo: str,
                  expected_version: int | None) -> Outcome:
        """The office returns the case for more investigation, saying what it lacks."""
        def change(session: Session, referral: Referral) -> None:
            referral.send_back(memo=memo, envelope=ctx.envelope)
            self._after_decision(session, referral, ctx)

        return self._step(ctx, referral_id, expected_version, DECIDE, change)

    def get(self, ctx: RequestContext, referral_id: UUID) -> Outcome:
        """One referral, for whoever reads its case (the office's prosecutors from its submission)."""
        with translated_store_errors():
            referral = case_record(Referral, referral_id, access.READ).checked(Session(self.ledger), ctx)
        return Outcome(referral_view(referral), touched=access.touched(referral))

    def of_case(self, ctx: RequestContext, inv_id: UUID) -> Outcome:
        """The case's referrals the caller may see (an office sees its own, once submitted), oldest first."""
        with translated_store_errors():
            session = Session(self.ledger)
            inv = readable(inv_id).checked(session, ctx)
            found = session.find_many(Referral, inv.attached_ids(Referral.type_name))
            visible = [r for r in found.values() if access.seen_level(
                ctx.actor, SeenThroughCase(r, inv).access_of(ctx.actor.agency)) is not None]
        return Outcome({"items": [referral_view(r) for r in visible], "version": inv.version},
                       touched=access.touched(inv))

    def _step(self, ctx: RequestContext, referral_id: UUID, expected_version: int | None, policy: access.Policy,
              change: Callable[[Session, Referral], None]) -> Outcome:
        require_if_match(expected_version)

        def decide(session: Session, referral: Referral) -> dict[str, Any]:
            check_version(referral, expected_version)
            change(session, referral)
            session.add(referral)
            return referral_view(referral)

        # A step that also writes the case (submit, a decision) must not lose to an unrelated write to the case:
        # it is retried, and If-Match is checked again on each attempt.
        return self.runner.run(ctx, decide, target=case_record(Referral, referral_id, policy), retry_on_conflict=True)

    def _after_decision(self, session: Session, referral: Referral, ctx: RequestContext) -> None:
        """The case follows the decision (accepted, declined, or active again when returned); an office that did
        not take it reads it no more where the deployment does not keep its access."""
        inv = self._case(session, referral)
        others = session.find_many(Referral, [i for i in inv.attached_ids(Referral.type_name) if i != referral.id])
        status = _case_status(referral, list(others.values()))
        changed = status != inv.status and inv.follow_referral(
            status=status, reason=f"a referral was {referral.status}", envelope=ctx.envelope)
        ended = not self.access_kept and referral.status != "accepted"
        if ended:
            inv.end_prosecution_access(office=referral.office, referral_id=referral.id, envelope=ctx.envelope)
        if changed or ended:
            session.add(inv)

    @staticmethod
    def _case(session: Session, referral: Referral) -> Investigation:
        inv = session.find(Investigation, referral.investigation_id)
        assert inv is not None  # a referral is drafted on a stored case, and cases are never deleted
        return inv

    def _charges(self, session: Session, inv: Investigation, charge_ids: list[UUID] | None) -> list[str]:
        file = session.find(CaseFile, self.runner.keys().case_file(inv.id))
        known = file.charges if file is not None else {}
        for i, charge_id in enumerate(charge_ids or []):
            if str(charge_id) not in known:
                raise Invalid("names no proposed charge of this case", f"charge_ids.{i}")
        return list(dict.fromkeys(str(c) for c in charge_ids or []))


def _case_status(decided: Referral, others: list[Referral]) -> str:
    """The status a case's referrals give it once one is decided: accepted if any office took it, referred while
    another awaits its decision, else as this decision says (declined, or active again when returned)."""
    if decided.status == "accepted" or any(r.status == "accepted" for r in others):
        return "accepted"
    if any(r.status == "submitted" for r in others):
        return "referred"
    return {"declined": "declined", "returned": "active"}[decided.status]
