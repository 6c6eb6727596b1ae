"""Use cases of a case's prosecution file: propose charges and support their elements, add witnesses, log discovery
productions and disclosure reviews, and read the file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from coordination import access
from coordination.case_file_views import as_seen_by, case_file_view
from coordination.commands import CommandRunner, Outcome, Session, Target, check_version, translated_store_errors
from coordination.context import RequestContext
from coordination.errors import Conflict, Invalid
from coordination.investigations import readable
from domain.aggregate import ChainedAggregate
from domain.case_file import CaseFile
from domain.evidence import EvidenceItem
from domain.investigation import Investigation
from domain.lifecycle import FROZEN

KIND = CaseFile


def _now() -> datetime:
    return datetime.now(UTC)


class CaseFiles:
    """The prosecution file of each case: kept by its owning agency, read by whoever reads the case."""

    def __init__(self, runner: CommandRunner):
        self.runner = runner
        self.ledger = runner.ledger

    def propose_charge(self, ctx: RequestContext, inv_id: UUID, *, statute: Any, elements: Any,
                       defendants: Any) -> Outcome:
        """Propose a count against subjects of the case: its statute and the elements it needs proved."""
        charge_id = uuid4()
        return self._change(ctx, inv_id, None, lambda session, inv, file: file.propose_charge(
            charge_id=charge_id, statute=statute, elements=elements, defendants=defendants, subjects=inv.subjects,
            envelope=ctx.envelope), created=charge_id)

    def support(self, ctx: RequestContext, inv_id: UUID, charge_id: UUID, *, element: Any, kind: str, ref: str,
                note: Any, expected_version: int | None) -> Outcome:
        """Name an evidence item, a witness or a logged action of the case that proves one element of a count."""
        def change(session: Session, inv: Investigation, file: CaseFile) -> None:
            known, author = _record_of_case(session, inv, file, kind, ref)
            file.support(charge_id=charge_id, element=element, kind=kind, ref=known, author=author, note=note,
                         envelope=ctx.envelope)

        return self._change(ctx, inv_id, expected_version, change)

    def add_witness(self, ctx: RequestContext, inv_id: UUID, *, fields: dict[str, Any]) -> Outcome:
        """Add a witness: kind, anticipated testimony, promises or immunity, and Giglio flags."""
        witness_id = uuid4()
        return self._change(ctx, inv_id, None, lambda session, inv, file: file.add_witness(
            witness_id=witness_id, fields=fields, envelope=ctx.envelope), created=witness_id)

    def log_production(self, ctx: RequestContext, inv_id: UUID, *, fields: dict[str, Any]) -> Outcome:
        """Log a discovery production: what, to whom, when and its Bates range (reused numbers are flagged)."""
        production_id = uuid4()

        def change(session: Session, inv: Investigation, file: CaseFile) -> None:
            attached = {str(i) for _, i in inv.attached}
            for i, record_id in enumerate(fields.get("record_ids") or []):
                if str(record_id) not in attached:
                    raise Invalid("names no record of this case", f"record_ids.{i}")
            file.log_production(production_id=production_id, fields=fields, today=_now().date(),
                                envelope=ctx.envelope)

        return self._change(ctx, inv_id, None, change, created=production_id)

    def review_disclosure(self, ctx: RequestContext, inv_id: UUID, *, kind: str, agency: str, note: Any) -> Outcome:
        """Record that an agency's files were reviewed for Jencks statements or Brady/Giglio material."""
        return self._change(ctx, inv_id, None, lambda session, inv, file: file.review_disclosure(
            kind=kind, agency=agency, note=note, envelope=ctx.envelope))

    def get(self, ctx: RequestContext, inv_id: UUID) -> Outcome:
        """The case's file as it stands, for whoever reads the case (prosecutors of a referred case too)."""
        with translated_store_errors():
            session = Session(self.ledger)
            inv = readable(inv_id).checked(session, ctx)
            file = session.find(CaseFile, self.runner.keys().case_file(inv.id))
            produced = {r for p in (file.productions.values() if file else ()) for r in p["record_ids"]}
            authors = {str(i): r.owning_agency for i, r in session.find_many(
                ChainedAggregate, [UUID(r) for r in produced]).items()} if produced else {}
        return Outcome(as_seen_by(case_file_view(inv, file), inv, ctx.actor.agency, authors),
                       touched=access.touched(inv))

    def _change(self, ctx: RequestContext, inv_id: UUID, expected_version: int | None,
                change: Callable[[Session, Investigation, CaseFile], Any], created: UUID | None = None) -> Outcome:
        """Change the case's file (opened, and named in the case's chain, on its first change); the answer is the
        file, with the id of what the change `created` (a charge, a witness, a production)."""
        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            if inv.status in FROZEN:
                raise Conflict(f"the case is {inv.status}; reopen it before changing its prosecution file")
            file_id = self.runner.keys().case_file(inv.id)
            file = session.find(CaseFile, file_id)
            if file is None:
                file = CaseFile.start(id=file_id, investigation_id=inv.id, owning_agency=inv.owning_agency,
                                      envelope=ctx.envelope)
                inv.attach(record_type=CaseFile.type_name, record_id=file_id, envelope=ctx.envelope)
                session.add(inv)
            check_version(file, expected_version)
            change(session, inv, file)
            session.add(file)
            return {**case_file_view(inv, file), "created_id": created}

        # The owning agency keeps the file: a partner's witness or count would reach every other partner.
        # Retried on a lost race (a write to the case), with If-Match checked again on each attempt.
        return self.runner.run(ctx, decide, target=Target(Investigation, inv_id, access.MANAGE),
                               retry_on_conflict=True)


def _record_of_case(session: Session, inv: Investigation, file: CaseFile, kind: str, ref: str) -> tuple[str, str]:
    """What supports an element, as kept (an id, or an action's version), and the agency that put it in: an item of
    this case, a witness of its file, or an action logged on it. Invalid (naming `ref`) for anything else."""
    author: str | None = None
    if kind == "evidence":
        item_id = _uuid(ref)
        item = session.find(EvidenceItem, item_id) if item_id in inv.attached_ids(EvidenceItem.type_name) else None
        ref, author = (str(item.id), item.owning_agency) if item is not None else (ref, None)
    elif kind == "witness":
        author = inv.owning_agency if str(_uuid(ref)) in file.witnesses else None
        ref = str(_uuid(ref))
    elif kind == "action":
        version = int(ref) if ref.isascii() and ref.isdigit() and len(ref) <= 9 else 0
        author, ref = _action_author(session, inv, version), str(version)
    else:
        return ref, inv.owning_agency  # the file refuses the kind itself
    if author is None:
        raise Invalid(f"names no {kind} of this case", "ref")
    return ref, author


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def _action_author(session: Session, inv: Investigation, version: int) -> str | None:
    """The agency that logged the case's action at `version` (read alone, not the whole case); None if no action."""
    if not 1 <= version <= inv.version:
        return None
    stored = list(session.ledger.events.get(inv.id, gt=version - 1, lte=version))
    if not stored or not isinstance(stored[0], Investigation.ActionLogged):
        return None
    return str(stored[0].envelope["actor"]["agency"])
