"""Use cases of the investigation context: open, log, add subjects, share, change status, correct."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from coordination import access
from coordination.commands import (
    CommandRunner,
    Outcome,
    Session,
    Target,
    check_version,
    guards,
    require_if_match,
    translated_store_errors,
)
from coordination.context import RequestContext, Touched
from coordination.deconfliction import Deconfliction, deconfliction_answer, new_deconfliction_number
from coordination.errors import CoordinationError, NotFound
from domain.case_numbers import CaseNumberSequence
from domain.envelope import Actor
from domain.investigation import Investigation
from domain.sharing import sees_contribution
from domain.targets import REGISTRATION_LIFETIME

KIND = Investigation  # the record these use cases act on, for the cross-cutting history and access code
REGISTERED = frozenset({"identifiers", "name", "date_of_birth"})  # what target deconfliction matches a subject on


def _now() -> datetime:
    return datetime.now(UTC)


def investigation_view(inv: Investigation, agency: str) -> dict[str, Any]:
    """The case as its readers see it; only the owner sees every agency it is shared with."""
    owner = inv.owning_agency
    shares = {a: s for a, s in inv.shares.items() if sees_contribution(agency, owner, a)}
    return {
        "id": inv.id,
        "case_number": inv.case_number,
        "title": inv.title,
        "threat_domain": inv.threat_domain,
        "summary": inv.summary,
        "status": inv.status,
        "owning_agency": inv.owning_agency,
        "case_agent": dict(inv.case_agent),
        "shared_with": [{"agency": a, "access": s} for a, s in sorted(shares.items())],
        "version": inv.version,
        "opened_at": inv.opened_at,
    }


def subject_view(inv: Investigation, subject_id: str) -> dict[str, Any]:
    """A subject as it stands now, with the entry that added it and the case's version."""
    subject = inv.subjects[subject_id]
    details = {k: v for k, v in subject.items() if k not in ("version", "agency")}
    return {"investigation_id": inv.id, "subject_id": UUID(subject_id), "entry_version": subject["version"],
            "version": inv.version, **details}


class Investigations:
    """The commands and strong reads on investigations; every one checks access on the object itself."""

    def __init__(self, runner: CommandRunner, deconfliction: Deconfliction):
        self.runner = runner
        self.ledger = runner.ledger
        self.deconfliction = deconfliction

    def open(self, ctx: RequestContext, *, title: str, threat_domain: str, summary: str | None) -> Outcome:
        """Open an investigation with the next case number of the caller's agency and year."""
        access.require_role(ctx.actor, access.CASE_WRITERS, "opening an investigation")

        def decide(session: Session, _: None) -> dict[str, Any]:
            agency, year, keys = ctx.actor.agency, _now().year, self.runner.keys()
            sequence_id = keys.case_sequence(agency, year)
            sequence = session.find(CaseNumberSequence, sequence_id)
            sequence = sequence or CaseNumberSequence.start(id=sequence_id, agency=agency, year=year)
            case_number = sequence.issue()
            inv = Investigation.open(
                id=keys.investigation(case_number), case_number=case_number, title=title,
                threat_domain=threat_domain, summary=summary, envelope=ctx.envelope,
            )
            session.add(sequence, inv)
            return investigation_view(inv, agency)

        def names(result: dict[str, Any]) -> Touched:
            return Touched(Investigation.type_name, str(result["id"]), result["owning_agency"])

        return self.runner.run(ctx, decide, retry_on_conflict=True, names=names)

    def _read(self, ctx: RequestContext, inv_id: UUID) -> Investigation:
        with translated_store_errors():
            return readable(inv_id).checked(Session(self.ledger), ctx)

    def get(self, ctx: RequestContext, inv_id: UUID) -> Outcome:
        """The current state of one case, straight from the ledger."""
        inv = self._read(ctx, inv_id)
        return Outcome(investigation_view(inv, ctx.actor.agency), touched=access.touched(inv))

    def subjects(self, ctx: RequestContext, inv_id: UUID) -> Outcome:
        """The case's subjects as they stand now (corrections applied), in the order they were added."""
        inv = self._read(ctx, inv_id)
        items = [
            subject_view(inv, subject_id)
            for subject_id, subject in sorted(inv.subjects.items(), key=lambda item: item[1]["version"])
            if sees_contribution(ctx.actor.agency, inv.owning_agency, subject.get("agency", inv.owning_agency))
        ]
        return Outcome({"items": items, "version": inv.version}, touched=access.touched(inv))

    def log_action(
        self, ctx: RequestContext, inv_id: UUID, *, kind: str, summary: str,
        occurred_at: datetime | None, location: dict[str, Any] | None, expected_version: int | None,
    ) -> Outcome:
        """Log an investigative or enforcement action; appends are retried, never lost."""

        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            check_version(inv, expected_version)
            inv.log_action(kind=kind, summary=summary, occurred_at=occurred_at, location=location,
                           now=_now(), envelope=ctx.envelope)
            session.add(inv)
            return {"investigation_id": inv.id, "entry_version": inv.version, "version": inv.version}

        return self.runner.run(ctx, decide, target=contributing(inv_id),
                               retry_on_conflict=True, guarded=guards(expected_version))

    def add_subject(
        self, ctx: RequestContext, inv_id: UUID, *, details: dict[str, Any], expected_version: int | None
    ) -> Outcome:
        """Add a subject of the network; its identifiers are registered and checked against every other case's."""
        subject_id = uuid4()
        details = dict(details)
        contact = details.pop("point_of_contact", None)

        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            check_version(inv, expected_version)
            inv.add_subject(subject_id=subject_id, details=details, now=_now(), envelope=ctx.envelope)
            session.add(inv)
            number, check = self._register(session, ctx, inv, str(subject_id), contact)
            return {**subject_view(inv, str(subject_id)), "deconfliction_number": number,
                    "deconfliction": deconfliction_answer(check, ctx.actor.agency, own=str(subject_id))}

        return self.runner.run(ctx, decide, target=contributing(inv_id),
                               retry_on_conflict=True, guarded=guards(expected_version))

    def renew_registration(self, ctx: RequestContext, inv_id: UUID, subject_id: UUID) -> Outcome:
        """Register a subject's identifiers for another 24 months, checked again against every other case's."""

        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            subject = inv.subjects.get(str(subject_id))
            if subject is None or not sees_contribution(ctx.actor.agency, inv.owning_agency,
                                                        subject.get("agency", inv.owning_agency)):
                raise NotFound("no such subject in this investigation")
            number, check = self._register(session, ctx, inv, str(subject_id))
            return {"investigation_id": inv.id, "subject_id": subject_id, "deconfliction_number": number,
                    "registered_until": _now() + REGISTRATION_LIFETIME, "version": inv.version,
                    "deconfliction": deconfliction_answer(check, ctx.actor.agency, own=str(subject_id))}

        return self.runner.run(ctx, decide, target=contributing(inv_id), retry_on_conflict=True)

    def _register(
        self, session: Session, ctx: RequestContext, inv: Investigation, subject_id: str,
        contact: dict[str, Any] | None = None, previous: list[dict[str, Any]] | None = None,
    ) -> tuple[str | None, Any]:
        """Register the subject as it now stands for target deconfliction, in this command's save."""
        subject = inv.subjects[subject_id]
        person = subject["kind"] == "person"
        number = new_deconfliction_number(_now()) if subject["identifiers"] or person else None
        contact = contact or {"name": ctx.actor.name or ctx.actor.sub, "phone": "", "email": None}
        check = self.deconfliction.register(
            session, investigation_id=str(inv.id), agency=subject.get("agency", inv.owning_agency),
            subject_id=subject_id, identifiers=subject["identifiers"], number=number or "",
            point_of_contact=contact, envelope=ctx.envelope, person_name=subject["name"] if person else None,
            previous=previous or [])
        return number, check

    def share(
        self, ctx: RequestContext, inv_id: UUID, *, agency: str, access_level: str, expected_version: int | None
    ) -> Outcome:
        """Share the case with another agency, to read or to contribute."""

        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            check_version(inv, expected_version)
            inv.share(agency=agency, access=access_level, envelope=ctx.envelope)
            session.add(inv)
            return investigation_view(inv, ctx.actor.agency)

        return self.runner.run(ctx, decide, target=managing(inv_id),
                               retry_on_conflict=True, guarded=guards(expected_version))

    def revoke_share(self, ctx: RequestContext, inv_id: UUID, *, agency: str, expected_version: int | None) -> Outcome:
        """Stop sharing the case with an agency."""

        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            check_version(inv, expected_version)
            if agency not in inv.shares:
                raise NotFound(f"the case is not shared with {agency}")
            inv.revoke_share(agency=agency, envelope=ctx.envelope)
            session.add(inv)
            return investigation_view(inv, ctx.actor.agency)

        return self.runner.run(ctx, decide, target=managing(inv_id),
                               retry_on_conflict=True, guarded=guards(expected_version))

    def change_status(
        self, ctx: RequestContext, inv_id: UUID, *, status: str, reason: str,
        merged_into: UUID | None, expected_version: int | None,
    ) -> Outcome:
        """Move the case along its lifecycle; the caller must say which version they decided on."""
        require_if_match(expected_version)

        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            check_version(inv, expected_version)
            if merged_into is not None:
                _merge_target(session, ctx, inv, merged_into)
            inv.change_status(status=status, reason=reason, merged_into=merged_into, envelope=ctx.envelope)
            session.add(inv)
            return investigation_view(inv, ctx.actor.agency)

        def may_set(inv: Investigation, ctx: RequestContext) -> None:
            inv.check_may_set_status(status, ctx.actor)

        target = Target(Investigation, inv_id, access.MANAGE, also=may_set)
        return self.runner.run(ctx, decide, target=target, retry_on_conflict=False, guarded=guards(expected_version))

    def correct(
        self, ctx: RequestContext, inv_id: UUID, *, corrects: int, changes: dict[str, Any],
        reason: str, expected_version: int | None,
    ) -> Outcome:
        """Correct an earlier entry by a new event naming it; the original stays in the history."""
        require_if_match(expected_version)

        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            check_version(inv, expected_version)
            entry = self._entry(inv_id, corrects)
            subject_id = (entry or {}).get("subject_id")
            previous = list(inv.subjects[subject_id]["identifiers"]) if subject_id in inv.subjects else []
            inv.correct(corrects=corrects, entry=entry, changes=changes, reason=reason, now=_now(),
                        envelope=ctx.envelope)
            session.add(inv)
            if subject_id and set(changes) & REGISTERED:
                self._register(session, ctx, inv, subject_id, previous=previous)  # matching follows the correction
            return {"investigation_id": inv.id, "entry_version": inv.version, "version": inv.version,
                    "corrects": corrects}

        def may_correct(inv: Investigation, ctx: RequestContext) -> None:
            inv.check_may_correct(self._entry(inv_id, corrects), ctx.actor)

        target = Target(Investigation, inv_id, access.CONTRIBUTE, also=may_correct)
        # A lost race on an index record is retried; the retry checks If-Match again (check_version).
        return self.runner.run(ctx, decide, target=target, retry_on_conflict=True)

    def _entry(self, inv_id: UUID, version: int) -> dict[str, Any] | None:
        """The stored event at `version`, described as an entry of the case (None if there is none)."""
        if not 1 <= version <= 2**53:
            return None
        stored = list(self.ledger.events.get(inv_id, gt=version - 1, lte=version))
        return Investigation.entry_of(stored[0]) if stored else None


def no_longer_seen(ledger: Any, actor: Actor, ids: list[UUID]) -> set[str]:
    """Of cases a read model listed for `actor`'s agency, those the ledger says it no longer sees (a share revoked,
    an office's access ended) and the read model has not folded yet: a withdrawal takes effect at once."""
    if not ids:
        return set()
    with translated_store_errors():
        cases = Session(ledger).find_many(Investigation, ids)
    return {str(i) for i in ids if i not in cases
            or access.seen_level(actor, cases[i].access_of(actor.agency)) is None}


def readable(inv_id: UUID) -> Target:
    return Target(Investigation, inv_id, access.READ)


def contributing(inv_id: UUID) -> Target:
    return Target(Investigation, inv_id, access.CONTRIBUTE)


def managing(inv_id: UUID) -> Target:
    return Target(Investigation, inv_id, access.MANAGE)


def _merge_target(session: Session, ctx: RequestContext, inv: Investigation, target_id: UUID) -> None:
    """The case merged into must be the caller's agency's too; a refusal is audited against the case merged."""
    try:
        managing(target_id).checked(session, ctx)
    except CoordinationError as refusal:
        refusal.touched = access.touched(inv)
        raise
