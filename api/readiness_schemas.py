"""Query and response bodies of prosecution readiness: a case's checklist, and the cases by readiness."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.schemas import Strict
from domain.readiness import GAP, ITEM_NAMES, NOT_APPLICABLE, OK

MIN_POSITION = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**53), metadata={
    "description": "wait (bounded) until the read model shows the write that answered this position"})
CURSOR = r"^[0-9]{1,3}:[0-9a-f-]{36}$"


class CaseReadinessQuery(Strict):
    min_position = MIN_POSITION


class ReadinessListQuery(Strict):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Regexp(CURSOR, error="not a cursor"))
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
