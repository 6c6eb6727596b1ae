"""The Referral aggregate: a case put to a prosecutor's office, from draft to its decision (DOMAIN.md §3)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import rules
from domain.aggregate import ChainedAggregate
from domain.envelope import Envelope
from domain.errors import DomainError, NotPermitted, StateConflict
from domain.investigation import PROSECUTION

STATUSES = ("draft", "approved", "submitted", "accepted", "declined", "returned")
DECIDED = frozenset({"accepted", "declined", "returned"})
# Justice Manual 9-27.220: prosecute when the admissible evidence will probably suffice to obtain and sustain a
# conviction, unless (1) no substantial federal interest would be served, (2) the person is subject to effective
# prosecution in another jurisdiction, or (3) an adequate non-criminal alternative exists.
DECLINATION_REASONS = ("insufficient_evidence", "no_substantial_federal_interest",
                       "prosecution_in_another_jurisdiction", "non_criminal_alternative")
COUNT_DECISIONS = ("charge", "decline")


class Referral(ChainedAggregate):
    """A referral of an investigation to a prosecutor's office, prepared by the owning agency."""

    type_name = "referral"
    references = frozenset({"investigation_id"})
    seen_by_referred_offices = False  # an office sees its own referrals, not another office's

    if TYPE_CHECKING:
        investigation_id: UUID
        owning_agency: str
        office: str
        charge_ids: list[str]
        memo: str
        status: str
        approval: dict[str, Any] | None
        submitted_at: datetime | None
        decision: dict[str, Any] | None

    class Drafted(ChainedAggregate.Created):
        investigation_id: UUID
        owning_agency: str
        office: str
        charge_ids: list[str]
        memo: str

        def apply(self, referral: Referral) -> None:
            referral.investigation_id, referral.owning_agency = self.investigation_id, self.owning_agency
            referral.office, referral.charge_ids, referral.memo = self.office, self.charge_ids, self.memo
            referral.status, referral.approval, referral.submitted_at, referral.decision = "draft", None, None, None

    class Approved(ChainedAggregate.Event):
        note: str

        def apply(self, referral: Referral) -> None:
            referral.status = "approved"
            referral.approval = {"by": self.envelope["actor"], "at": self.occurred_at, "note": self.note}

    class Submitted(ChainedAggregate.Event):
        def apply(self, referral: Referral) -> None:
            referral.status, referral.submitted_at = "submitted", self.occurred_at

    class Decided(ChainedAggregate.Event):
        """The office accepted, declined or returned it: with its reason, memo and a decision per count."""

        outcome: str
        reason: str | None
        memo: str
        counts: list[dict[str, Any]]

        def apply(self, referral: Referral) -> None:
            referral.status = self.outcome
            referral.decision = {"outcome": self.outcome, "reason": self.reason, "memo": self.memo,
                                 "counts": self.counts, "by": self.envelope["actor"], "at": self.occurred_at}

    @classmethod
    def draft(cls, *, id: UUID, investigation_id: UUID, office: Any, charge_ids: list[str], memo: Any,  # noqa: A002
              envelope: Envelope) -> Referral:
        """Draft a referral of the case to an office (a code such as USAO-SDFL), naming the counts proposed."""
        office = rules.agency_code(office, "office")
        if office == envelope.actor.agency:
            raise DomainError("an agency does not refer a case to itself", "office")
        return cls._start(cls.Drafted, id=id, envelope=envelope, investigation_id=investigation_id,
                          owning_agency=envelope.actor.agency, office=office, charge_ids=charge_ids,
                          memo=rules.optional_text(memo, "memo", max_len=20_000))

    def approve(self, *, note: Any, envelope: Envelope) -> None:
        """A supervisor of the owning agency approves the referral as drafted."""
        actor = envelope.actor
        if actor.agency != self.owning_agency or not actor.has_any_role("supervisor"):
            raise NotPermitted(f"only a supervisor of {self.owning_agency} approves its referrals")
        self._require(("draft",), "be approved")
        self._record(self.Approved, envelope=envelope, note=rules.optional_text(note, "note", max_len=2000))

    def submit(self, *, envelope: Envelope) -> None:
        """Send the approved referral to the office: from now on its prosecutors read the case."""
        self._require(("approved",), "be submitted")
        self._record(self.Submitted, envelope=envelope)

    def accept(self, *, counts: Any, memo: Any, envelope: Envelope) -> None:
        """The office takes the case, deciding each count proposed (a declined count says why)."""
        self._decide("accepted", None, rules.optional_text(memo, "memo", max_len=20_000),
                     _counts(counts, self.charge_ids), envelope)

    def decline(self, *, reason: Any, memo: Any, envelope: Envelope) -> None:
        """The office declines the case, for one of the Justice Manual's reasons, with a memo."""
        reason = rules.one_of(reason, DECLINATION_REASONS, "reason")
        counts = [{"charge_id": c, "decision": "decline", "reason": reason} for c in self.charge_ids]
        self._decide("declined", reason, rules.text(memo, "memo", max_len=20_000), counts, envelope)

    def send_back(self, *, memo: Any, envelope: Envelope) -> None:
        """The office returns the case for more investigation, saying what is missing."""
        self._decide("returned", None, rules.text(memo, "memo", max_len=20_000), [], envelope)

    def _decide(self, outcome: str, reason: str | None, memo: str, counts: list[dict[str, Any]],
                envelope: Envelope) -> None:
        if envelope.actor.agency != self.office or not envelope.actor.has_any_role("prosecutor"):
            raise NotPermitted(f"only a prosecutor of {self.office} decides this referral")
        self._require(("submitted",), f"be {outcome}")
        self._record(self.Decided, envelope=envelope, outcome=outcome, reason=reason, memo=memo, counts=counts)

    def access_of(self, agency: str) -> str | None:
        """The owning agency's; the office's prosecutors' from submission on (the use cases check the case too)."""
        if agency == self.owning_agency:
            return "owner"
        return PROSECUTION if agency == self.office and self.status not in ("draft", "approved") else None

    def _require(self, statuses: tuple[str, ...], verb: str) -> None:
        if self.status not in statuses:
            raise StateConflict(f"a referral that is {self.status} cannot {verb}; it must be "
                                f"{' or '.join(statuses)}", "status")


def _counts(value: Any, charge_ids: list[str]) -> list[dict[str, Any]]:
    """A decision for every count referred: charge, or decline with a reason; unnamed counts are refused."""
    given = value if value is not None else [{"charge_id": c, "decision": "charge"} for c in charge_ids]
    if not isinstance(given, list):
        raise DomainError("must be a list of decisions, one per count referred", "counts")
    decided: dict[str, dict[str, Any]] = {}
    for i, count in enumerate(given):
        field = f"counts.{i}"
        if not isinstance(count, dict) or str(count.get("charge_id")) not in charge_ids:
            raise DomainError("names no count of this referral", f"{field}.charge_id")
        if str(count["charge_id"]) in decided:
            raise DomainError("decides a count already decided above", f"{field}.charge_id")
        decision = rules.one_of(count.get("decision"), COUNT_DECISIONS, f"{field}.decision")
        reason = (rules.one_of(count.get("reason"), DECLINATION_REASONS, f"{field}.reason")
                  if decision == "decline" else None)
        decided[str(count["charge_id"])] = {"charge_id": str(count["charge_id"]), "decision": decision,
                                            "reason": reason}
    missing = [c for c in charge_ids if c not in decided]
    if missing:
        raise DomainError(f"decide every count referred; missing: {', '.join(missing)}", "counts")
    return [decided[c] for c in charge_ids]
