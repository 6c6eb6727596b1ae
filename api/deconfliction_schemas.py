"""Schemas of operations and conflicts: plans in, checked plans and pointer-level conflicts out."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, validate

from api.schemas import ContactSchema, PointSchema, PointViewSchema, Strict, SubjectSchema
from domain.conflict import RESOLUTIONS, STATUSES
from domain.deconfliction import CONFLICT_KINDS, OPERATION_KINDS, SEVERITIES
from domain.operation_plan import MAX_ROUTE_POINTS

# --- requests ---------------------------------------------------------------------------------------


class PlaceSchema(PointSchema):
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 300))


class _PlanFields(Strict):
    title = fields.String(allow_none=True, validate=validate.Length(0, 300))
    route = fields.List(fields.Nested(PointSchema), allow_none=True, validate=validate.Length(0, MAX_ROUTE_POINTS))
    ends_at = fields.AwareDateTime(allow_none=True, metadata={"description": "default: starts_at + 4 h"})
    subject_ids = fields.List(fields.UUID(), validate=validate.Length(0, 50),
                              metadata={"description": "subjects of the same investigation the operation is after"})


class PlanOperationSchema(_PlanFields):
    investigation_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(OPERATION_KINDS))
    location = fields.Nested(PlaceSchema, required=True)
    starts_at = fields.AwareDateTime(required=True)
    point_of_contact = fields.Nested(ContactSchema, required=True)
    undercover = fields.Boolean(required=True)
    armed_subjects = fields.Boolean(required=True)
    late_entry_reason = fields.String(validate=validate.Length(1, 2000), metadata={
        "description": "recording an operation that started already (starts_at in the past): why it was not "
                       "planned first; it is deconflicted all the same and its conflicts are flagged late"})


class AmendOperationSchema(_PlanFields):
    kind = fields.String(validate=validate.OneOf(OPERATION_KINDS))
    location = fields.Nested(PlaceSchema)
    starts_at = fields.AwareDateTime()
    point_of_contact = fields.Nested(ContactSchema)
    undercover = fields.Boolean()
    armed_subjects = fields.Boolean()

    @ma.validates_schema
    def changes_something(self, data: dict, **_: object) -> None:
        if not data:
            raise ma.ValidationError("name at least one field of the plan to change", "_schema")


class WithdrawSchema(Strict):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class OperationListQuery(Strict):
    investigation_id = fields.UUID()
    starts_before = fields.AwareDateTime(metadata={"description": "operations starting before this"})
    ends_after = fields.AwareDateTime(metadata={"description": "operations ending after this"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{1,18}$", error="not a cursor"))
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**53),
                                  metadata={"description": "wait (bounded) until the list reflects this log position"})


class NoteSchema(Strict):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 2000))


class ResolveSchema(Strict):
    resolution = fields.String(required=True, validate=validate.OneOf(RESOLUTIONS))
    note = fields.String(required=True, validate=validate.Length(1, 2000))


class EscalateSchema(Strict):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class ConflictListQuery(Strict):
    status = fields.String(validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{1,18}$", error="not a cursor"))
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**53),
                                  metadata={"description": "wait (bounded) until the list reflects this log position"})


# --- responses --------------------------------------------------------------------------------------


class ContactViewSchema(ma.Schema):
    name = fields.String(required=True)
    phone = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)


class PointerSchema(ma.Schema):
    agency = fields.String(required=True)
    point_of_contact = fields.Nested(ContactViewSchema, required=True)
    deconfliction_number = fields.String(required=True)


class OwnSideSchema(ma.Schema):
    operation_id = fields.UUID(required=True, allow_none=True)
    subject_id = fields.UUID(allow_none=True, metadata={"description": "your subject, for a target match"})
    deconfliction_number = fields.String(required=True)


class WindowSchema(ma.Schema):
    starts_at = fields.DateTime(required=True, allow_none=True)
    ends_at = fields.DateTime(required=True, allow_none=True)


class ResolutionSchema(ma.Schema):
    resolution = fields.String(required=True)
    note = fields.String(required=True)


class CoordinatorSchema(ma.Schema):
    name = fields.String(required=True)
    agency = fields.String(required=True)


class ConflictSchema(ma.Schema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CONFLICT_KINDS))
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    distance_m = fields.Integer(required=True, allow_none=True)
    overlap = fields.Nested(WindowSchema, required=True, allow_none=True)
    detected_at = fields.DateTime(required=True)
    acknowledge_by = fields.DateTime(required=True, allow_none=True)
    acknowledged_by = fields.List(fields.String(), required=True)
    coordinator = fields.Nested(CoordinatorSchema, required=True, allow_none=True)
    escalated = fields.Boolean(required=True)
    resolution = fields.Nested(ResolutionSchema, required=True, allow_none=True)
    late = fields.Boolean(required=True, metadata={"description": "a side was recorded after it started"})
    version = fields.Integer(required=True)
    own = fields.Nested(OwnSideSchema, metadata={"description": "your side (absent for a coordinator of neither)"})
    counterpart = fields.Nested(PointerSchema, metadata={"description": "whom to call: nothing else of them"})
    parties = fields.List(fields.Nested(PointerSchema), metadata={"description": "both pointers (coordinators)"})


class ConflictPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ConflictSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class CoverageSchema(ma.Schema):
    operations_compared = fields.Integer(required=True)
    targets_compared = fields.Integer(required=True)
    agencies = fields.Integer(required=True)
    index_records = fields.Integer(required=True)
    window = fields.Nested(WindowSchema, required=True)
    note = fields.String(required=True)


class DeconflictionSchema(ma.Schema):
    status = fields.String(required=True, validate=validate.OneOf(("cleared", "conflict")))
    conflicts = fields.List(fields.Nested(ConflictSchema), required=True)
    obsolete = fields.List(fields.Nested(ConflictSchema), required=True)
    coverage = fields.Nested(CoverageSchema, required=True)


class PlaceViewSchema(ma.Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    address = fields.String(required=True, allow_none=True)


class OperationSchema(ma.Schema):
    id = fields.UUID(required=True)
    investigation_id = fields.UUID(required=True)
    owning_agency = fields.String(required=True)
    deconfliction_number = fields.String(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    location = fields.Nested(PlaceViewSchema, required=True)
    route = fields.List(fields.Nested(PointViewSchema), required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    point_of_contact = fields.Nested(ContactViewSchema, required=True)
    undercover = fields.Boolean(required=True)
    armed_subjects = fields.Boolean(required=True)
    subject_ids = fields.List(fields.UUID(), required=True)
    late_entry = fields.Dict(required=True, allow_none=True,
                             metadata={"description": "{reason}: recorded after it started"})
    approval = fields.Dict(required=True, allow_none=True, metadata={"description": "{by, at, note}"})
    exemption = fields.Dict(required=True, allow_none=True, metadata={"description": "{by, at, reason}"})
    started_at = fields.DateTime(required=True, allow_none=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    results = fields.Dict(required=True, allow_none=True, metadata={"description": "what it achieved"})


class CheckedOperationSchema(OperationSchema):
    deconfliction = fields.Nested(DeconflictionSchema, required=True)


class BoardQuery(Strict):
    hours = fields.Integer(load_default=24, validate=validate.Range(1, 168),
                           metadata={"description": "operations starting within this many hours"})
    min_lat = fields.Float(validate=validate.Range(-90, 90))
    min_lon = fields.Float(validate=validate.Range(-180, 180))
    max_lat = fields.Float(validate=validate.Range(-90, 90))
    max_lon = fields.Float(validate=validate.Range(-180, 180))
    starts_after = fields.AwareDateTime(metadata={"description": "conflicts whose overlap ends after this"})
    starts_before = fields.AwareDateTime(metadata={"description": "conflicts whose overlap starts before this"})
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**53))

    @ma.validates_schema
    def whole_box(self, data: dict, **_: object) -> None:
        given = [name for name in ("min_lat", "min_lon", "max_lat", "max_lon") if name in data]
        if given and len(given) != 4:
            raise ma.ValidationError("a bounding box needs min_lat, min_lon, max_lat and max_lon", given[0])
        if len(given) == 4 and (data["min_lat"] > data["max_lat"] or data["min_lon"] > data["max_lon"]):
            raise ma.ValidationError("min must not exceed max", "min_lat")


CURSOR = re.compile(r"[0-9]{1,18}(\.[0-9])?")


class NotificationsQuery(Strict):
    cursor = fields.String(load_default=None, validate=validate.Regexp(f"^{CURSOR.pattern}$", error="not a cursor"))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 100))


class StreamQuery(Strict):
    cursor = fields.String(load_default=None, validate=validate.Regexp(f"^{CURSOR.pattern}$", error="not a cursor"),
                           metadata={"description": "where to start; Last-Event-ID wins when both are sent"})


class UpcomingOperationSchema(ma.Schema):
    agency = fields.String(required=True)
    kind = fields.String(required=True)
    deconfliction_number = fields.String(required=True)
    window = fields.Nested(WindowSchema, required=True)
    area = fields.Nested(PointViewSchema, required=True, metadata={"description": "rounded to ~1 km"})


class BoardCountsSchema(ma.Schema):
    open = fields.Integer(required=True)
    overdue = fields.Integer(required=True)
    upcoming_operations = fields.Integer(required=True)
    by_severity = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class BoardSchema(ma.Schema):
    as_of = fields.DateTime(required=True)
    open = fields.List(fields.Nested(ConflictSchema), required=True)
    overdue = fields.List(fields.Nested(ConflictSchema), required=True)
    upcoming_operations = fields.List(fields.Nested(UpcomingOperationSchema), required=True)
    counts = fields.Nested(BoardCountsSchema, required=True)


class NotificationSchema(ma.Schema):
    cursor = fields.String(required=True)
    conflict_id = fields.UUID(required=True)
    change = fields.String(required=True)
    kind = fields.String(required=True)
    severity = fields.String(required=True)
    at = fields.DateTime(required=True)
    own = fields.Nested(OwnSideSchema, required=True)
    counterpart = fields.Nested(PointerSchema, required=True)


class NotificationPageSchema(ma.Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    next_cursor = fields.String(required=True)


class OperationSummarySchema(ma.Schema):
    id = fields.UUID(required=True)
    investigation_id = fields.UUID(required=True)
    owning_agency = fields.String(required=True)
    deconfliction_number = fields.String(required=True)
    status = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    version = fields.Integer(required=True)


class OperationPageSchema(ma.Schema):
    items = fields.List(fields.Nested(OperationSummarySchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class RegisteredSubjectSchema(SubjectSchema):
    deconfliction_number = fields.String(required=True, allow_none=True,
                                         metadata={"description": "proof its identifiers were checked"})
    deconfliction = fields.Nested(DeconflictionSchema, required=True)


class RenewedRegistrationSchema(ma.Schema):
    investigation_id = fields.UUID(required=True)
    subject_id = fields.UUID(required=True)
    deconfliction_number = fields.String(required=True, allow_none=True)
    registered_until = fields.DateTime(required=True)
    version = fields.Integer(required=True)
    deconfliction = fields.Nested(DeconflictionSchema, required=True)
