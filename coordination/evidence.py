"""Use cases of evidence: log an item to a case, record its custody and lab work, read it and a case's items."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from coordination import access
from coordination.case_records import SeenThroughCase, case_record, may_see
from coordination.commands import CommandRunner, Outcome, Session, check_version, guards, translated_store_errors
from coordination.context import RequestContext
from coordination.errors import Conflict, Invalid
from coordination.history import who
from coordination.investigations import contributing, readable
from domain.evidence import EvidenceItem
from domain.investigation import Investigation
from domain.lifecycle import FROZEN
from domain.operation import Operation

KIND = EvidenceItem
MAX_PAGE = 200
# The agency that logged an item records its custody: a partner that sees the case reads the chain, and one able
# to add to it could forge a hand-over.
CUSTODIAN = access.Policy("recording the custody of", frozenset({access.AUTHOR}), access.CASE_WRITERS,
                          "only the agency that logged this {kind} records its custody")


def _now() -> datetime:
    return datetime.now(UTC)


def evidence_view(item: EvidenceItem) -> dict[str, Any]:
    """An item as its readers see it: what it is, who holds it, its whole chain of custody and its lab work."""
    return {
        "id": item.id,
        "investigation_id": item.investigation_id,
        "operation_id": item.operation_id,
        "owning_agency": item.owning_agency,
        **item.item,
        "status": "released" if item.released else "in_custody",
        "custodian": item.custodian,
        "location": item.location,
        "custody": [{**{k: v for k, v in t.items() if k != "recorded_by"}, "recorded_by": who(t["recorded_by"])}
                    for t in item.transfers],
        "chain_intact": not item.chain_discrepancies,
        "discrepancies": item.chain_discrepancies,
        "lab_requests": [{"id": request_id, **request} for request_id, request in item.lab_requests.items()],
        "version": item.version,
    }


class Evidence:
    """Evidence items of cases and their chains of custody; every break in a chain is kept and shown, never refused."""

    def __init__(self, runner: CommandRunner):
        self.runner = runner
        self.ledger = runner.ledger

    def log(self, ctx: RequestContext, inv_id: UUID, *, operation_id: UUID | None, **fields: Any) -> Outcome:
        """Log an item into evidence for a case the caller may add to; the case's chain names it."""

        def decide(session: Session, inv: Investigation) -> dict[str, Any]:
            if inv.status in FROZEN:
                raise Conflict(f"the case is {inv.status}; reopen it before logging evidence")
            if operation_id is not None:
                _check_operation(session, inv, operation_id, ctx.actor.agency)
            item = EvidenceItem.log(id=uuid4(), investigation_id=inv.id, operation_id=operation_id, fields=fields,
                                    now=_now(), envelope=ctx.envelope)
            inv.attach(record_type=EvidenceItem.type_name, record_id=item.id, envelope=ctx.envelope)
            session.add(item, inv)
            return evidence_view(item)

        return self.runner.run(ctx, decide, target=contributing(inv_id), retry_on_conflict=True)

    def transfer(self, ctx: RequestContext, evidence_id: UUID, *, fields: dict[str, Any],
                 expected_version: int | None) -> Outcome:
        """Record a hand-over of the item; one that breaks the chain is recorded with its discrepancies."""
        return self._change(ctx, evidence_id, expected_version,
                            lambda item: item.transfer(fields=fields, now=_now(), envelope=ctx.envelope))

    def request_lab(self, ctx: RequestContext, evidence_id: UUID, *, fields: dict[str, Any],
                    expected_version: int | None) -> Outcome:
        """Ask a laboratory to analyse the item."""
        request_id = uuid4()
        return self._change(ctx, evidence_id, expected_version, lambda item: item.request_lab(
            request_id=request_id, fields=fields, now=_now(), envelope=ctx.envelope))

    def report_lab(self, ctx: RequestContext, evidence_id: UUID, *, request_id: UUID, fields: dict[str, Any],
                   expected_version: int | None) -> Outcome:
        """Record a laboratory's findings on one of the item's requests."""
        return self._change(ctx, evidence_id, expected_version, lambda item: item.report_lab(
            request_id=request_id, fields=fields, now=_now(), envelope=ctx.envelope))

    def _change(self, ctx: RequestContext, evidence_id: UUID, expected_version: int | None,
                change: Callable[[EvidenceItem], Any]) -> Outcome:
        def decide(session: Session, item: EvidenceItem) -> dict[str, Any]:
            check_version(item, expected_version)
            change(item)
            session.add(item)
            return evidence_view(item)

        return self.runner.run(ctx, decide, target=case_record(EvidenceItem, evidence_id, CUSTODIAN),
                               retry_on_conflict=True, guarded=guards(expected_version))

    def get(self, ctx: RequestContext, evidence_id: UUID) -> Outcome:
        """One item with its full chain of custody, for whoever sees its case (third agency rule applied)."""
        with translated_store_errors():
            session = Session(self.ledger)
            item = case_record(EvidenceItem, evidence_id, access.READ).checked(session, ctx)
            view = _seen(evidence_view(item), session, ctx)
        return Outcome(view, touched=access.touched(item))

    def of_case(self, ctx: RequestContext, inv_id: UUID, *, after: int, limit: int) -> Outcome:
        """A case's items the caller may see, in the order they were logged, a page at a time."""
        limit = max(1, min(limit, MAX_PAGE))
        with translated_store_errors():
            session = Session(self.ledger)
            inv = readable(inv_id).checked(session, ctx)
            ids = inv.attached_ids(EvidenceItem.type_name)
            found = session.find_many(EvidenceItem, ids)
            visible = [found[i] for i in ids if i in found
                       and SeenThroughCase(found[i], inv).access_of(ctx.actor.agency) is not None]
            page = [_seen(evidence_view(item), session, ctx) for item in visible[after:after + limit]]
        more = len(visible) > after + limit
        return Outcome({"items": page,
                        "next_cursor": str(after + limit) if more else None, "version": inv.version},
                       touched=access.touched(inv))


def _check_operation(session: Session, inv: Investigation, operation_id: UUID, agency: str) -> None:
    op = session.find(Operation, operation_id)
    if op is None or op.investigation_id != inv.id or SeenThroughCase(op, inv).access_of(agency) is None:
        raise Invalid("is not an operation of this investigation", "operation_id")


def _seen(view: dict[str, Any], session: Session, ctx: RequestContext) -> dict[str, Any]:
    """An item's view for a reader: the operation that seized it only if the reader may see that operation."""
    op_id = view["operation_id"]
    if op_id is not None and not may_see(session, ctx, op_id):
        return {**view, "operation_id": None}
    return view
