"""Routes of a case's clocks: a supervisor's review, and the coordination group's list of overdue cases."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from marshmallow import fields, validate

from api import schemas as case_schemas
from api.blueprint import Blueprint
from api.headers import headers
from api.requests import context, if_match, written
from api.schemas import Strict
from domain.case_clocks import CLOCKS

blp = Blueprint("case_clocks", __name__, url_prefix="/api/v1",
                description="A case's clocks: an opening report within 10 days of opening, a supervisory review "
                            "every 90 days (each agency may set its own), and the cases overdue.")


class ReviewSchema(Strict):
    note = fields.String(required=True, validate=validate.Length(1, 10_000))


class OverdueQuery(Strict):
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**53))


class OverdueItemSchema(ma.Schema):
    investigation_id = fields.UUID(required=True)
    case_number = fields.String(required=True)
    agency = fields.String(required=True)
    clock = fields.String(required=True, validate=validate.OneOf(CLOCKS))
    due_at = fields.DateTime(required=True)
    days_overdue = fields.Integer(required=True)


class OverdueSchema(ma.Schema):
    as_of = fields.DateTime(required=True)
    items = fields.List(fields.Nested(OverdueItemSchema), required=True)


def clocks() -> Any:
    return current_app.extensions["pathways"].clocks


@blp.route("/investigations/<uuid:investigation_id>/reviews")
class Reviews(MethodView):
    """Supervisory reviews of a case."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(ReviewSchema)
    @blp.response(200, case_schemas.InvestigationSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Record a supervisory review (a supervisor of the owning agency); its review clock starts again."""
        return written(clocks().review(context(), investigation_id, note=body["note"], expected_version=if_match()))


@blp.route("/coordination/overdue")
class Overdue(MethodView):
    """Cases overdue for their opening report or their review."""

    @blp.arguments(OverdueQuery, location="query", as_kwargs=True)
    @blp.response(200, OverdueSchema)
    def get(self, min_position: int | None = None) -> Any:
        """Opening reports and reviews overdue, longest first: every agency's for coordinators, their own agency's
        for supervisors."""
        return clocks().overdue(context(), min_position=min_position)
