"""Use cases of a case's prosecution file: propose charges and support their elements, add witnesses, log discovery
productions and disclosure reviews, and read the file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from coordination import access
from coordination.commands import CommandRunner, Outcome, Session, Target, check_version, translated_store_errors
from coordination.context import RequestContext
from coordination.errors import Invalid
from coordination.history import who
from coordination.investigations import readable
from domain.case_file import CaseFile
from domain.evidence import EvidenceItem
from domain.investigation import Investigation

KIND = CaseFile


def _now() -> datetime:
    return datetime.now(UTC)


def case_file_view(inv: Investigation, file: CaseFile | None) -> dict[str, Any]:
    """The file as its readers see it: counts with each element's support (or its gap), witnesses, productions."""
    if file is None:
        return {"investigation_id": inv.id, "charges": [], "witnesses": [], "productions": [], "reviews": [],
                "version": 0, "created_id": None}
    return {
        "investigation_id": inv.id,
        "charges": [{"id": charge_id, **charge, "elements": [
            {**element, "index": i, "supported": bool(element["support"])}
            for i, element in enumerate(charge["elements"])]} for charge_id, charge in file.charges.items()],
        "witnesses": [{"id": witness_id, **witness} for witness_id, witness in file.witnesses.items()],
        "productions": [{"id": production_id, **production} for production_id, production in file.productions.items()],
        "reviews": [{**review, "by": who(review["by"])} for review in file.reviews],
        "version": file.version,
        "created_id": None,
    }


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
            self._check_ref(session, inv, file, kind, ref)
            file.support(charge_id=charge_id, element=element, kind=kind, ref=ref, note=note, envelope=ctx.envelope)

        return self._change(ctx, inv_id, expected_version, change)

    def add_witness(self, ctx: RequestContext, inv_id: UUID, *, fields: dict[str, Any]) -> Outcome:
        """Add a witness: kind, anticipated testimony, promises or immunity, and Giglio flags."""
        witness_id = uuid4()
        return self._change(ctx, inv_id, None, lambda session, inv, file: file.add_witness(
            witness_id=witness_id, fields=fields, envelope=ctx.envelope), created=witness_id)

    def log_production(self, ctx: RequestContext, inv_id: UUID, *, fields: dict[str, Any]) -> Outcome:
        """Log a discovery production: what, to whom, when and its Bates range (reused numbers are flagged)."""
        production_id = uuid4()
        return self._change(ctx, inv_id, None, lambda session, inv, file: file.log_production(
            production_id=production_id, fields=fields, today=_now().date(), envelope=ctx.envelope),
            created=production_id)

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
        return Outcome(case_file_view(inv, file), touched=access.touched(inv))

    def _change(self, ctx: RequestContext, inv_id: UUID, expected_version: int | None,
                change: Callable[[Session, Investigation, CaseFile], Any], created: UUID | None = None) -> Outcome:
        """Change the case's file (opened, and named in the case's chain, on its first change); the answer is the
        file, with the id of what the change `created` (a charge, a witness, a production)."""
        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
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
        return self.runner.run(ctx, decide, target=Target(Investigation, inv_id, access.MANAGE),
                               retry_on_conflict=expected_version is None, guarded=expected_version is not None)

    @staticmethod
    def _check_ref(session: Session, inv: Investigation, file: CaseFile, kind: str, ref: str) -> None:
        """What supports an element must be a record of this case: its item, its witness or its logged action."""
        if kind == "evidence":
            known = ref in {str(i) for i in inv.attached_ids(EvidenceItem.type_name)}
        elif kind == "witness":
            known = ref in file.witnesses
        elif kind == "action":
            known = ref.isdigit() and _is_action(session, inv, int(ref))
        else:
            return  # the file refuses the kind itself
        if not known:
            raise Invalid(f"names no {kind} of this case", "ref")


def _is_action(session: Session, inv: Investigation, version: int) -> bool:
    """Whether the case's event at `version` is a logged action (read alone, not the whole case)."""
    if not 1 <= version <= inv.version:
        return False
    stored = list(session.ledger.events.get(inv.id, gt=version - 1, lte=version))
    return bool(stored) and isinstance(stored[0], Investigation.ActionLogged)
