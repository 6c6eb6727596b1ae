"""The Investigation aggregate: a case, its log of actions, its subjects, shares and status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import rules
from domain.aggregate import ChainedAggregate
from domain.corrections import CORRECTABLE, checked_changes
from domain.envelope import Actor, Envelope
from domain.errors import DomainError, NotPermitted, StateConflict
from domain.lifecycle import FROZEN, SUPERVISOR_ONLY, TRANSITIONS, check_transition
from domain.sharing import sees_contribution
from domain.subjects import subject_details
from domain.vocabulary import ACTION_KINDS, SHARE_ACCESS, THREAT_DOMAINS

PROSECUTION = "prosecution"  # the access of an office a referral was submitted to: its prosecutors read the case


class Investigation(ChainedAggregate):
    """A case owned by one agency, visible to the agencies it is shared with."""

    type_name = "investigation"
    references = frozenset({"merged_into", "record_id", "referral_id"})

    if TYPE_CHECKING:  # state set by the events below; annotations at runtime would make it a dataclass
        case_number: str
        title: str
        threat_domain: str
        summary: str
        owning_agency: str
        case_agent: dict[str, str]
        status: str
        opened_at: datetime
        shares: dict[str, str]
        subjects: dict[str, dict[str, Any]]
        merged_into: UUID | None
        attached: Sequence[Sequence[str]]  # (record type, id) of the records added to the case
        prosecution: Mapping[str, Sequence[str]]  # office -> its submitted referrals: their prosecutors read it
    else:
        # Set by events added after the first cases were stored: a snapshot taken before them has no such field,
        # so each starts from an immutable class default that its events replace, never mutate. Not annotated at
        # runtime, or the library would make them fields of the class.
        attached = ()
        prosecution = MappingProxyType({})

    class Opened(ChainedAggregate.Created):
        case_number: str
        title: str
        threat_domain: str
        summary: str
        owning_agency: str
        case_agent: dict[str, Any]

        def apply(self, inv: Investigation) -> None:
            inv.case_number = self.case_number
            inv.title, inv.threat_domain, inv.summary = self.title, self.threat_domain, self.summary
            inv.owning_agency, inv.case_agent = self.owning_agency, self.case_agent
            inv.status, inv.opened_at = "opened", self.occurred_at
            inv.shares, inv.subjects, inv.merged_into = {}, {}, None

    class ActionLogged(ChainedAggregate.Event):
        kind: str
        summary: str
        location: dict[str, Any] | None

        # Nothing to keep: the aggregate holds only what decisions need, so loading stays flat as cases grow.
    class SubjectAdded(ChainedAggregate.Event):
        subject_id: UUID
        details: dict[str, Any]

        def apply(self, inv: Investigation) -> None:
            inv.subjects[str(self.subject_id)] = dict(
                self.details, version=self.originator_version, agency=self.envelope["actor"]["agency"]
            )

    class Shared(ChainedAggregate.Event):
        agency: str
        access: str

        def apply(self, inv: Investigation) -> None:
            inv.shares[self.agency] = self.access

    class ShareRevoked(ChainedAggregate.Event):
        agency: str

        def apply(self, inv: Investigation) -> None:
            inv.shares.pop(self.agency, None)

    class StatusChanged(ChainedAggregate.Event):
        from_status: str
        to_status: str
        reason: str
        merged_into: UUID | None

        def apply(self, inv: Investigation) -> None:
            inv.status, inv.merged_into = self.to_status, self.merged_into

    class Reviewed(ChainedAggregate.Event):
        """A supervisor of the owning agency reviewed the case (its review clock starts again)."""

        note: str
        # Nothing to keep: the clocks are the read model's (projections/case_clocks.py).

    class RecordAttached(ChainedAggregate.Event):
        """A record of its own (an evidence item, the case file, a referral) was added to the case: the case's
        chain names it, so its history and export cover it."""

        record_type: str
        record_id: UUID

        def apply(self, inv: Investigation) -> None:
            inv.attached = (*inv.attached, (self.record_type, str(self.record_id)))

    class ReferredForProsecution(ChainedAggregate.Event):
        """A referral was submitted: from now on that office's prosecutors read the case."""

        office: str
        referral_id: UUID

        def apply(self, inv: Investigation) -> None:
            inv.prosecution = {**inv.prosecution, self.office: [*inv.prosecution.get(self.office, ()),
                                                                 str(self.referral_id)]}

    class ProsecutionAccessEnded(ChainedAggregate.Event):
        """The office's referral was declined or returned and the deployment does not keep its read access."""

        office: str
        referral_id: UUID

        def apply(self, inv: Investigation) -> None:
            left = [r for r in inv.prosecution.get(self.office, ()) if r != str(self.referral_id)]
            inv.prosecution = {k: v for k, v in inv.prosecution.items() if k != self.office}
            if left:  # another referral to the office is still open: its prosecutors still read the case
                inv.prosecution[self.office] = left

    class EntryCorrected(ChainedAggregate.Event):
        corrects: int
        entry_kind: str
        entry_agency: str  # whose entry it corrects: the third agency rule follows the entry, not the corrector
        subject_id: UUID | None
        changes: dict[str, Any]
        reason: str

        def apply(self, inv: Investigation) -> None:
            if self.entry_kind == "opening":
                for name in ("title", "summary", "threat_domain"):
                    if name in self.changes:
                        setattr(inv, name, self.changes[name])
            elif self.entry_kind == "subject":
                inv.subjects[str(self.subject_id)].update(self.changes)

    @classmethod
    def open(
        cls,
        *,
        id: UUID,  # noqa: A002
        case_number: str,
        title: str,
        threat_domain: str,
        summary: str | None,
        envelope: Envelope,
    ) -> Investigation:
        """Open an investigation owned by the envelope's agency, with its actor as case agent."""
        actor = envelope.actor
        return cls._start(
            cls.Opened,
            id=id,
            envelope=envelope,
            case_number=case_number,
            title=rules.text(title, "title"),
            threat_domain=rules.one_of(threat_domain, THREAT_DOMAINS, "threat_domain"),
            summary=rules.optional_text(summary, "summary", max_len=10_000),
            owning_agency=actor.agency,
            case_agent={"sub": actor.sub, "name": actor.name},
        )

    def log_action(
        self, *, kind: str, summary: str, occurred_at: datetime | None,
        location: dict[str, Any] | None, now: datetime, envelope: Envelope,
    ) -> None:
        """Record an investigative or enforcement action."""
        self._refuse_if_frozen()
        self._record(
            self.ActionLogged,
            envelope=envelope,
            occurred_at=rules.occurred_at(occurred_at, now),
            kind=rules.one_of(kind, ACTION_KINDS, "kind"),
            summary=rules.text(summary, "summary", max_len=10_000),
            location=rules.location(location),
        )

    def add_subject(self, *, subject_id: UUID, details: dict[str, Any], now: datetime, envelope: Envelope) -> None:
        """Add a person, organisation or business of the network to the case."""
        self._refuse_if_frozen()
        checked = subject_details(**details, today=now.date())
        self._record(self.SubjectAdded, envelope=envelope, subject_id=subject_id, details=checked)

    def share(self, *, agency: str, access: str, envelope: Envelope) -> bool:
        """Share the case with another agency; False when it already had exactly that access."""
        rules.agency_code(agency)
        rules.one_of(access, SHARE_ACCESS, "access")
        if agency == self.owning_agency:
            raise DomainError("the owning agency already sees its own case", "agency")
        if agency in self.prosecution:
            # One access per agency: an office reads a case it was referred as prosecutors, read only.
            raise DomainError(f"the case was referred to {agency}, whose prosecutors read it already", "agency")
        if self.shares.get(agency) == access:
            return False
        self._record(self.Shared, envelope=envelope, agency=agency, access=access)
        return True

    def revoke_share(self, *, agency: str, envelope: Envelope) -> None:
        """Stop sharing the case with an agency."""
        if agency not in self.shares:
            raise DomainError(f"the case is not shared with {agency}", "agency")
        self._record(self.ShareRevoked, envelope=envelope, agency=agency)

    def change_status(
        self, *, status: str, reason: str, merged_into: UUID | None, envelope: Envelope
    ) -> None:
        """Move the case along its lifecycle, with the reason on record."""
        check_transition(self.status, status)
        self.check_may_set_status(status, envelope.actor)
        if (status == "merged") != (merged_into is not None):
            raise DomainError("merged_into goes with status merged, and only with it", "merged_into")
        if merged_into == self.id:
            raise DomainError("a case cannot be merged into itself", "merged_into")
        self._record(
            self.StatusChanged,
            envelope=envelope,
            from_status=self.status,
            to_status=status,
            reason=rules.text(reason, "reason", max_len=2000),
            merged_into=merged_into,
        )

    def follow_referral(self, *, status: str, reason: str, envelope: Envelope) -> bool:
        """Move the case as a referral of it moved (referred, accepted, declined, back to active when returned),
        where its lifecycle allows; False when it does not (a suspended case stays suspended: the referral is the
        record of what the office decided)."""
        if status not in TRANSITIONS[self.status]:
            return False
        self._record(self.StatusChanged, envelope=envelope, from_status=self.status, to_status=status,
                     reason=reason, merged_into=None)
        return True

    def review(self, *, note: Any, envelope: Envelope) -> None:
        """Record a supervisory review (DOMAIN.md §3: every 90 days), by a supervisor of the owning agency."""
        actor = envelope.actor
        if actor.agency != self.owning_agency or not actor.has_any_role("supervisor"):
            raise NotPermitted(f"only a supervisor of {self.owning_agency} reviews this case")
        if self.status in FROZEN:
            raise StateConflict(f"the case is {self.status}; a closed case is not reviewed")
        self._record(self.Reviewed, envelope=envelope, note=rules.text(note, "note", max_len=10_000))

    def correct(
        self, *, corrects: int, entry: dict[str, Any] | None, changes: dict[str, Any], reason: str,
        now: datetime, envelope: Envelope,
    ) -> None:
        """Correct an earlier entry (as `entry_of` describes it) by a new event that names it."""
        self._refuse_if_frozen()
        if entry is None or entry["version"] != corrects or entry["kind"] not in CORRECTABLE:
            raise DomainError("names no opening, action or subject of this case", "corrects")
        self.check_may_correct(entry, envelope.actor)
        subject_id = entry.get("subject_id")
        current = self.subjects.get(subject_id or "", {})
        self._record(
            self.EntryCorrected,
            envelope=envelope,
            corrects=corrects,
            entry_kind=entry["kind"],
            entry_agency=entry["agency"],
            subject_id=UUID(subject_id) if subject_id else None,
            changes=checked_changes(entry["kind"], changes, now, current),
            reason=rules.text(reason, "reason", max_len=2000),
        )

    def check_may_set_status(self, status: str, actor: Actor) -> None:
        """Approvals (DOMAIN.md §1) are a supervisor's: raise NotPermitted for anyone else."""
        if status in SUPERVISOR_ONLY and not actor.has_any_role("supervisor"):
            raise NotPermitted(f"only a supervisor can make a case {status}", "status")

    def check_may_correct(self, entry: dict[str, Any] | None, actor: Actor) -> None:
        """An entry is corrected by its author or a supervisor of the owning agency: NotPermitted otherwise."""
        if entry is None:
            return  # not an entry at all: correct() says so
        is_author = (entry["author"], entry["agency"]) == (actor.sub, actor.agency)
        is_owners_supervisor = actor.agency == self.owning_agency and actor.has_any_role("supervisor")
        if not (is_author or is_owners_supervisor):
            raise NotPermitted("only its author or a supervisor of the owning agency corrects an entry", "corrects")

    @classmethod
    def entry_of(cls, event: Any) -> dict[str, Any] | None:
        """What a stored event is as an entry of the case (opening, action, subject), and who wrote it."""
        kinds: dict[type, str] = {cls.Opened: "opening", cls.ActionLogged: "action", cls.SubjectAdded: "subject"}
        kind = kinds.get(type(event))
        if kind is None:
            return None
        actor = event.envelope["actor"]
        subject_id = getattr(event, "subject_id", None)
        return {"version": event.originator_version, "kind": kind, "author": actor["sub"],
                "agency": actor["agency"], "subject_id": str(subject_id) if subject_id else None}

    def attach(self, *, record_type: str, record_id: UUID, envelope: Envelope) -> None:
        """Name a record added to the case in the case's own chain (in the same save as the record)."""
        self._refuse_if_frozen()
        self._record(self.RecordAttached, envelope=envelope, record_type=record_type, record_id=record_id)

    def attached_ids(self, record_type: str) -> list[UUID]:
        """The records of one type added to the case, in the order they were added."""
        return [UUID(record_id) for kind, record_id in self.attached if kind == record_type]

    def check_may_refer(self, office: str) -> None:
        """A case is referred while open, and not to an agency it is shared with (one access per agency)."""
        self._refuse_if_frozen()
        if office in self.shares:
            raise StateConflict(f"the case is shared with {office}; revoke that share before referring the case "
                                "there (its prosecutors read a referred case as prosecutors)", "office")

    def refer(self, *, office: str, referral_id: UUID, envelope: Envelope) -> None:
        """Open the case to the prosecutors of `office`, read only, from a referral's submission."""
        self.check_may_refer(office)
        self._record(self.ReferredForProsecution, envelope=envelope, office=office, referral_id=referral_id)

    def end_prosecution_access(self, *, office: str, referral_id: UUID, envelope: Envelope) -> None:
        """Close the case to an office again, when its referral ended and access is not kept for the record."""
        if str(referral_id) in self.prosecution.get(office, ()):
            self._record(self.ProsecutionAccessEnded, envelope=envelope, office=office, referral_id=referral_id)

    def access_of(self, agency: str) -> str | None:
        """What an agency may do with the case: owner, contribute, read, prosecution (its prosecutors read a
        case referred to it), or nothing."""
        if agency == self.owning_agency:
            return "owner"
        return self.shares.get(agency) or (PROSECUTION if agency in self.prosecution else None)

    def sees_event(self, agency: str, event: Any) -> bool:
        """Third agency rule: a partner sees the owner's entries and its own, only its own share, and a
        correction only if it may see the entry corrected."""
        if not super().sees_event(agency, event):
            return False
        concerns: str | None
        if isinstance(event, (self.Shared, self.ShareRevoked)):
            concerns = event.agency
        elif isinstance(event, (self.ReferredForProsecution, self.ProsecutionAccessEnded)):
            concerns = event.office
        else:
            concerns = getattr(event, "entry_agency", None)
        return concerns is None or sees_contribution(agency, self.owning_agency, concerns)

    def _refuse_if_frozen(self) -> None:
        if self.status in FROZEN:
            raise StateConflict(f"the case is {self.status}; reopen it first")

