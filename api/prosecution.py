"""Prosecution file routes: proposed charges and the support of their elements, witnesses, discovery productions,
disclosure reviews, and the statute catalogue."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app
from flask.views import MethodView

from api import prosecution_schemas as schemas
from api.blueprint import Blueprint
from api.headers import headers
from api.requests import context, if_match, read, written
from domain.statutes import CATALOGUE

blp = Blueprint("prosecution", __name__, url_prefix="/api/v1",
                description="The prosecution file of a case: proposed charges with each element supported by "
                            "evidence, witnesses or logged actions (or left as a visible gap), witnesses with their "
                            "Giglio material, discovery productions and disclosure reviews.")
CASE = "/investigations/<uuid:investigation_id>"


def case_files() -> Any:
    return current_app.extensions["pathways"].case_files


@blp.route(f"{CASE}/case-file")
class CaseFile(MethodView):
    """A case's prosecution file."""

    @blp.response(200, schemas.CaseFileSchema)
    def get(self, investigation_id: UUID) -> Any:
        """Read the file: each count with its elements' support and gaps, witnesses, productions and reviews."""
        return read(case_files().get(context(), investigation_id), with_etag=True)


@blp.route(f"{CASE}/charges")
class Charges(MethodView):
    """Proposed counts."""

    @headers(idempotency_key=True)
    @blp.arguments(schemas.ProposeChargeSchema)
    @blp.response(201, schemas.CaseFileSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Propose a count (the owning agency): a statute of the catalogue brings its elements, any other needs
        them typed in; `created_id` is the charge."""
        return written(case_files().propose_charge(context(), investigation_id, **body))


@blp.route(f"{CASE}/charges/<uuid:charge_id>/support")
class Support(MethodView):
    """What proves an element of a count."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.SupportSchema)
    @blp.response(201, schemas.CaseFileSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID, charge_id: UUID) -> Any:
        """Name an evidence item, a witness or a logged action of the case that proves one element of the count."""
        return written(case_files().support(context(), investigation_id, charge_id, **body,
                                            expected_version=if_match()))


@blp.route(f"{CASE}/witnesses")
class Witnesses(MethodView):
    """Witnesses."""

    @headers(idempotency_key=True)
    @blp.arguments(schemas.WitnessSchema)
    @blp.response(201, schemas.CaseFileSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Add a witness (the owning agency) with anticipated testimony, promises, immunity and Giglio flags."""
        return written(case_files().add_witness(context(), investigation_id, fields=body))


@blp.route(f"{CASE}/discovery")
class Discovery(MethodView):
    """Discovery productions."""

    @headers(idempotency_key=True)
    @blp.arguments(schemas.ProductionSchema)
    @blp.response(201, schemas.CaseFileSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Log a production: what, to whom, when and its Bates range; numbers already produced are flagged."""
        fields = {**body, "record_ids": [str(r) for r in body["record_ids"]] if body["record_ids"] else None}
        return written(case_files().log_production(context(), investigation_id, fields=fields))


@blp.route(f"{CASE}/disclosure-reviews")
class DisclosureReviews(MethodView):
    """Reviews of an agency's files for Jencks statements and Brady/Giglio material."""

    @headers(idempotency_key=True)
    @blp.arguments(schemas.DisclosureReviewSchema)
    @blp.response(201, schemas.CaseFileSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Record that an agency's files were reviewed (the owning agency)."""
        return written(case_files().review_disclosure(context(), investigation_id, **body))


@blp.route("/statutes")
class Statutes(MethodView):
    """The statute catalogue."""

    @blp.response(200, schemas.StatuteListSchema)
    def get(self) -> Any:
        """The statutes whose elements Pathways knows; others are typed in with their elements."""
        return {"items": [{"citation": s.citation, "title": s.title, "elements": list(s.elements)}
                          for s in CATALOGUE]}
