"""Prosecution readiness routes: one case's checklist, and the cases the caller sees, least ready first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from marshmallow import fields, validate

from api.blueprint import Blueprint
from api.requests import context, read
from api.schemas import Strict
from domain.readiness import GAP, ITEM_NAMES, NOT_APPLICABLE, OK

blp = Blueprint("readiness", __name__, url_prefix="/api/v1",
                description="Whether cases are ready for prosecution: DOMAIN.md §3's checklist (charges and their "
                            "elements, defendants, witnesses, custody, disclosure, discovery, charging decisions, "
                            "forfeiture), each item ok, a gap or not applicable, with the records behind it.")
MIN_POSITION = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**53), metadata={
    "description": "wait (bounded) until the read model shows the write that answered this position"})
_CURSOR = r"^[0-9]{1,3}:[0-9a-f-]{36}$"


def readiness() -> Any:
    return current_app.extensions["pathways"].prosecution_readiness


class CaseReadinessQuery(Strict):
    min_position = MIN_POSITION


class ReadinessListQuery(Strict):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Regexp(_CURSOR, error="not a cursor"))
    min_position = MIN_POSITION


class RecordRefSchema(ma.Schema):
    type = fields.String(required=True)
    id = fields.String(required=True)


class ChecklistItemSchema(ma.Schema):
    item = fields.String(required=True, validate=validate.OneOf(ITEM_NAMES))
    title = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf((OK, GAP, NOT_APPLICABLE)))
    reason = fields.String(required=True)
    records = fields.List(fields.Nested(RecordRefSchema), required=True)
    records_withheld = fields.Integer(required=True, metadata={
        "description": "records behind the item that partner agencies put in, which you may not see"})


class CaseReadinessSchema(ma.Schema):
    investigation_id = fields.UUID(required=True)
    case_number = fields.String(required=True)
    status = fields.String(required=True)
    score = fields.Integer(required=True, metadata={"description": "percent of the applicable items that are ok"})
    gaps = fields.Integer(required=True)
    ready = fields.Boolean(required=True)
    items = fields.List(fields.Nested(ChecklistItemSchema), required=True)


class ReadinessRowSchema(ma.Schema):
    investigation_id = fields.String(required=True)
    case_number = fields.String(required=True)
    owning_agency = fields.String(required=True)
    status = fields.String(required=True)
    score = fields.Integer(required=True)
    gaps = fields.Integer(required=True)
    ready = fields.Boolean(required=True)


class ReadinessPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ReadinessRowSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


@blp.route("/investigations/<uuid:investigation_id>/readiness")
class CaseReadiness(MethodView):
    """A case's readiness for prosecution."""

    @blp.arguments(CaseReadinessQuery, location="query", as_kwargs=True)
    @blp.response(200, CaseReadinessSchema)
    def get(self, investigation_id: UUID, min_position: int | None = None) -> Any:
        """The checklist of a case you may read (prosecutors: once referred to their office), with its score."""
        return read(readiness().of_case(context(), investigation_id, min_position=min_position))


@blp.route("/coordination/readiness")
class LeastReady(MethodView):
    """Cases by readiness."""

    @blp.arguments(ReadinessListQuery, location="query", as_kwargs=True)
    @blp.response(200, ReadinessPageSchema)
    def get(self, limit: int = 50, cursor: str | None = None, min_position: int | None = None) -> Any:
        """Every case you may see, least ready first (prosecutors: those referred to their office)."""
        after = None
        if cursor:
            score, _, case_id = cursor.partition(":")
            after = (int(score), case_id)
        return readiness().least_ready(context(), after=after, limit=limit, min_position=min_position)
