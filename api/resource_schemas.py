"""Bodies and answers of resources and of the requests operations make for them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.schemas import AGENCY, Strict
from domain.resource import MAX_HEADCOUNT, PERSONNEL, REQUEST_STATUSES, RESOURCE_KINDS


class RegisterResourceSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(RESOURCE_KINDS))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    agency = fields.String(validate=AGENCY, metadata={"description": "default: yours (a coordinator: any)"})


class ResourceListQuery(Strict):
    agency = fields.String(validate=AGENCY)
    kind = fields.String(validate=validate.OneOf(RESOURCE_KINDS))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{1,18}$", error="not a cursor"))
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**53))


class ResourceSchema(ma.Schema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    agency = fields.String(required=True)
    version = fields.Integer()


class ResourcePageSchema(ma.Schema):
    items = fields.List(fields.Nested(ResourceSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class RequestResourceSchema(Strict):
    """A named resource (`resource_id`), or a head count of an agency's people (`kind` personnel)."""

    resource_id = fields.UUID()
    kind = fields.String(validate=validate.OneOf((PERSONNEL,)))
    agency = fields.String(validate=AGENCY)
    count = fields.Integer(validate=validate.Range(1, MAX_HEADCOUNT))

    @ma.validates_schema
    def one_way(self, data: dict, **_: object) -> None:
        if "resource_id" in data:
            extra = sorted({"kind", "agency", "count"} & set(data))
            if extra:
                raise ma.ValidationError("ask for a named resource or for personnel, not both", extra[0])
            return
        for name in ("kind", "agency", "count"):
            if name not in data:
                raise ma.ValidationError("give resource_id, or kind personnel with agency and count", name)


class AnswerSchema(Strict):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 2000))


class DeclineSchema(Strict):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class ResourceRequestSchema(ma.Schema):
    id = fields.UUID(required=True)
    operation_id = fields.String(required=True)
    deconfliction_number = fields.String(required=True)
    requested_by = fields.String(required=True, metadata={"description": "the operation's agency"})
    resource_id = fields.String(required=True, allow_none=True)
    agency = fields.String(required=True, metadata={"description": "the agency asked"})
    kind = fields.String(required=True)
    count = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(REQUEST_STATUSES))
    answer = fields.Dict(required=True, allow_none=True, metadata={"description": "{by, at, note | reason}"})
    version = fields.Integer(required=True)


class CommitmentsQuery(Strict):
    from_ = fields.Date(data_key="from", metadata={"description": "first day (UTC); default today"})
    to = fields.Date(metadata={"description": "last day, at most 92 days on; default from + 30"})
    agency = fields.String(validate=AGENCY, metadata={"description": "the agency whose resources"})
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**53))


class OperationPointerSchema(ma.Schema):
    agency = fields.String(required=True)
    deconfliction_number = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    operation_id = fields.String(metadata={"description": "your own agency's operations only"})


class DayCommitmentSchema(ma.Schema):
    day = fields.String(required=True)
    agency = fields.String(required=True)
    kind = fields.String(required=True)
    resources = fields.Integer(required=True, metadata={"description": "named resources committed"})
    personnel = fields.Integer(required=True, metadata={"description": "people committed"})
    operations = fields.Integer(required=True)


class PendingSchema(ma.Schema):
    request_id = fields.String(required=True)
    agency = fields.String(required=True)
    kind = fields.String(required=True)
    count = fields.Integer(required=True)
    operation = fields.Nested(OperationPointerSchema, required=True)


class OverCommitmentSchema(ma.Schema):
    resource_id = fields.String(required=True)
    agency = fields.String(required=True)
    kind = fields.String(required=True)
    operations = fields.List(fields.Nested(OperationPointerSchema), required=True)


class CommitmentsSchema(ma.Schema):
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    days = fields.List(fields.Nested(DayCommitmentSchema), required=True)
    pending = fields.List(fields.Nested(PendingSchema), required=True,
                          metadata={"description": "the soonest 200 requests still pending, by operation start"})
    pending_total = fields.Integer(required=True, metadata={"description": "how many requests are pending in all"})
    over_commitments = fields.List(fields.Nested(OverCommitmentSchema), required=True)
