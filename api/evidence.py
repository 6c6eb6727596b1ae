"""Evidence routes: items logged to a case, their chain of custody and their lab work."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app, url_for
from flask.views import MethodView

from api import evidence_schemas as schemas
from api.blueprint import Blueprint
from api.headers import headers
from api.requests import context, if_match, read, written

blp = Blueprint("evidence", __name__, url_prefix="/api/v1",
                description="Evidence: items seized or collected for a case, every hand-over of their custody "
                            "(a break in the chain is recorded and flagged, never refused) and their lab work.")


def evidence() -> Any:
    return current_app.extensions["pathways"].evidence


@blp.route("/investigations/<uuid:investigation_id>/evidence")
class CaseEvidence(MethodView):
    """A case's evidence."""

    @blp.arguments(schemas.EvidenceListQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.EvidencePageSchema)
    def get(self, investigation_id: UUID, limit: int = 50, cursor: str | None = None) -> Any:
        """List the case's items you may see, in the order they were logged, with their custody."""
        return read(evidence().of_case(context(), investigation_id, after=int(cursor or 0), limit=limit))

    @headers(idempotency_key=True)
    @blp.arguments(schemas.LogEvidenceSchema)
    @blp.response(201, schemas.EvidenceSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Log an item into evidence, in the custody of its first custodian; the case's history names it."""
        outcome = evidence().log(context(), investigation_id, **body)
        return written(outcome, location=url_for("evidence.EvidenceItem", evidence_id=outcome.result["id"]))


@blp.route("/evidence/<uuid:evidence_id>")
class EvidenceItem(MethodView):
    """One item of evidence."""

    @blp.response(200, schemas.EvidenceSchema)
    def get(self, evidence_id: UUID) -> Any:
        """Read an item: its full chain of custody, every discrepancy in it, and its lab work; version is the ETag."""
        return read(evidence().get(context(), evidence_id), with_etag=True)


@blp.route("/evidence/<uuid:evidence_id>/transfers")
class Transfers(MethodView):
    """Hand-overs of an item."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.TransferSchema)
    @blp.response(201, schemas.EvidenceSchema)
    def post(self, body: dict[str, Any], evidence_id: UUID) -> Any:
        """Record a hand-over (the logging agency). One not from the present custodian, with a broken seal or
        dated before the last is recorded all the same and flagged in `discrepancies`."""
        fields = {("from" if k == "from_" else k): v for k, v in body.items()}
        return written(evidence().transfer(context(), evidence_id, fields=fields, expected_version=if_match()))


@blp.route("/evidence/<uuid:evidence_id>/lab-requests")
class LabRequests(MethodView):
    """Requests to laboratories."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.LabRequestSchema)
    @blp.response(201, schemas.EvidenceSchema)
    def post(self, body: dict[str, Any], evidence_id: UUID) -> Any:
        """Ask a laboratory for an analysis of the item (the logging agency)."""
        return written(evidence().request_lab(context(), evidence_id, fields=body, expected_version=if_match()))


@blp.route("/evidence/<uuid:evidence_id>/lab-results")
class LabResults(MethodView):
    """A laboratory's findings."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.LabResultSchema)
    @blp.response(201, schemas.EvidenceSchema)
    def post(self, body: dict[str, Any], evidence_id: UUID) -> Any:
        """Record a laboratory's findings on one of the item's requests (the logging agency)."""
        request_id = body.pop("request_id")
        return written(evidence().report_lab(context(), evidence_id, request_id=request_id, fields=body,
                                             expected_version=if_match()))
