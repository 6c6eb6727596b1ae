"""Request and response schemas of the HTTP API (marshmallow); unknown fields are refused."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from domain.identifiers import IDENTIFIER_TYPES
from domain.lifecycle import STATUSES
from domain.rules import AGENCY_CODE
from domain.vocabulary import ACTION_KINDS, NETWORK_ROLES, SHARE_ACCESS, SUBJECT_KINDS, THREAT_DOMAINS


class _AgencyCode(validate.Regexp):
    """validate.Regexp uses .match, which lets "DEA\\n" through a pattern ending in $; this matches the whole value."""

    def __call__(self, value):
        if not isinstance(value, str) or AGENCY_CODE.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


# Still a Regexp, so the OpenAPI document keeps the pattern that schemathesis generates from.
AGENCY = _AgencyCode(AGENCY_CODE, error="must be an agency code such as HSI or TCIU-EC")


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE
        ordered = True


# --- requests ---------------------------------------------------------------------------------------

class OpenInvestigationSchema(Strict):
    title = fields.String(required=True, validate=validate.Length(1, 300))
    threat_domain = fields.String(required=True, validate=validate.OneOf(THREAT_DOMAINS))
    summary = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 10_000))


class LocationSchema(Strict):
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    place = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 300))


class LogActionSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(ACTION_KINDS))
    summary = fields.String(required=True, validate=validate.Length(1, 10_000))
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True)
    location = fields.Nested(LocationSchema, load_default=None, allow_none=True)


class PointSchema(Strict):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))


class IdentifierSchema(Strict):
    type = fields.String(required=True, validate=validate.OneOf(IDENTIFIER_TYPES))
    value = fields.String(required=True, validate=validate.Length(1, 300))
    country = fields.String(load_default=None, allow_none=True, validate=validate.Length(2, 6))
    location = fields.Nested(PointSchema, load_default=None, allow_none=True,
                             metadata={"description": "an address's place: operations within 50 m of it are told"})


class ContactSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    phone = fields.String(required=True, validate=validate.Length(1, 40))
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(3, 254))


class AddSubjectSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(SUBJECT_KINDS))
    name = fields.String(required=True, validate=validate.Length(1, 300))
    role = fields.String(required=True, validate=validate.OneOf(NETWORK_ROLES))
    witting = fields.Boolean(load_default=None, allow_none=True)
    date_of_birth = fields.String(load_default=None, allow_none=True, metadata={"format": "date"})
    identifiers = fields.List(fields.Nested(IdentifierSchema), load_default=list, validate=validate.Length(0, 50))
    point_of_contact = fields.Nested(ContactSchema, load_default=None, allow_none=True, metadata={
        "description": "whom another agency after the same identifiers calls (default: you, by name)"})


class ShareSchema(Strict):
    agency = fields.String(required=True, validate=AGENCY)
    access = fields.String(required=True, validate=validate.OneOf(SHARE_ACCESS))


class ChangeStatusSchema(Strict):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = fields.String(required=True, validate=validate.Length(1, 2000))
    merged_into = fields.UUID(load_default=None, allow_none=True)


class CorrectionSchema(Strict):
    corrects = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**53))
    changes = fields.Dict(keys=fields.String(), required=True, validate=validate.Length(min=1, max=10))
    reason = fields.String(required=True, validate=validate.Length(1, 2000))

    @ma.post_load
    def parse_times(self, data: dict, **_: object) -> dict:
        """A corrected occurred_at arrives as RFC 3339 text like any other time."""
        if "occurred_at" in data["changes"]:
            try:
                data["changes"]["occurred_at"] = fields.AwareDateTime().deserialize(data["changes"]["occurred_at"])
            except ma.ValidationError as error:
                raise ma.ValidationError({"changes": {"occurred_at": error.messages}}) from None
        return data


class ListInvestigationsQuery(Strict):
    status = fields.String(validate=validate.OneOf(STATUSES))
    threat_domain = fields.String(validate=validate.OneOf(THREAT_DOMAINS))
    agency = fields.String(validate=AGENCY)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{1,18}$", error="not a cursor"))
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**53),
                                  metadata={"description": "wait (bounded) until the list reflects this log position"})


class TimelineQuery(Strict):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{1,18}$", error="not a cursor"))


class AuditQuery(Strict):
    sub = fields.String(validate=validate.Length(1, 200), metadata={"description": "the actor (token subject)"})
    agency = fields.String(validate=AGENCY, metadata={"description": "the actor's agency"})
    object_id = fields.String(validate=validate.Length(1, 200), metadata={"description": "e.g. an investigation id"})
    outcome = fields.String(validate=validate.OneOf(("allowed", "denied", "rejected", "failed")))
    action = fields.String(validate=validate.Length(1, 100),
                           metadata={"description": "e.g. POST investigations.Actions"})
    since = fields.AwareDateTime(metadata={"description": "recorded at or after"})
    until = fields.AwareDateTime(metadata={"description": "recorded before"})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{1,18}$", error="not a cursor"))


# --- responses --------------------------------------------------------------------------------------

class CaseAgentSchema(ma.Schema):
    sub = fields.String(required=True)
    name = fields.String(required=True)


class ShareViewSchema(ma.Schema):
    agency = fields.String(required=True)
    access = fields.String(required=True)


class InvestigationSchema(ma.Schema):
    id = fields.UUID(required=True)
    case_number = fields.String(required=True)
    title = fields.String(required=True)
    threat_domain = fields.String(required=True)
    summary = fields.String(required=True)
    status = fields.String(required=True)
    owning_agency = fields.String(required=True)
    case_agent = fields.Nested(CaseAgentSchema, required=True)
    shared_with = fields.List(fields.Nested(ShareViewSchema), required=True)
    version = fields.Integer(required=True)
    opened_at = fields.DateTime(required=True)


class InvestigationPageSchema(ma.Schema):
    items = fields.List(fields.Nested(InvestigationSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class EntrySchema(ma.Schema):
    investigation_id = fields.UUID(required=True)
    entry_version = fields.Integer(required=True)
    version = fields.Integer(required=True)


class CorrectionResultSchema(EntrySchema):
    corrects = fields.Integer(required=True)


class PointViewSchema(ma.Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)


class SubjectIdentifierSchema(ma.Schema):
    type = fields.String(required=True)
    value = fields.String(required=True)
    country = fields.String(required=True, allow_none=True)
    location = fields.Nested(PointViewSchema)


class SubjectSchema(EntrySchema):
    subject_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    witting = fields.Boolean(required=True, allow_none=True)
    date_of_birth = fields.String(required=True, allow_none=True)
    identifiers = fields.List(fields.Nested(SubjectIdentifierSchema), required=True)


class SubjectListSchema(ma.Schema):
    items = fields.List(fields.Nested(SubjectSchema), required=True)
    version = fields.Integer(required=True)


class TimelineActorSchema(ma.Schema):
    sub = fields.String(required=True)
    name = fields.String(required=True)
    agency = fields.String(required=True)


class TimelineEntrySchema(ma.Schema):
    version = fields.Integer(required=True)
    type = fields.String(required=True)
    occurred_at = fields.DateTime(required=True)
    recorded_at = fields.DateTime(required=True)
    actor = fields.Nested(TimelineActorSchema, required=True)
    data = fields.Dict(required=True)


class TimelineSchema(ma.Schema):
    items = fields.List(fields.Nested(TimelineEntrySchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True)


class BrokenLinkSchema(ma.Schema):
    version = fields.Integer(required=True)
    problem = fields.String(required=True)


class IntegritySchema(ma.Schema):
    investigation_id = fields.UUID(required=True)
    intact = fields.Boolean(required=True)
    events = fields.Integer(required=True)
    head = fields.String(required=True, allow_none=True)
    first_broken = fields.Nested(BrokenLinkSchema, required=True, allow_none=True)


class HistoryQuery(TimelineQuery):
    as_of = fields.AwareDateTime(load_default=None, metadata={"description": "what had happened by then"})
    known_at = fields.AwareDateTime(load_default=None, metadata={"description": "as it was known then"})


class HistoryEntrySchema(TimelineEntrySchema):
    corrected_by = fields.List(fields.Integer(), required=True,
                               metadata={"description": "the versions of the known corrections of this entry"})


class HistorySchema(ma.Schema):
    investigation_id = fields.UUID(required=True)
    as_of = fields.DateTime(required=True, allow_none=True)
    known_at = fields.DateTime(required=True, allow_none=True)
    known_version = fields.Integer(required=True, metadata={"description": "the last event known at known_at"})
    current_version = fields.Integer(required=True)
    state = fields.Nested(InvestigationSchema, required=True, allow_none=True)
    items = fields.List(fields.Nested(HistoryEntrySchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class HistoryVerifySchema(ma.Schema):
    investigation_id = fields.UUID(required=True)
    valid = fields.Boolean(required=True, attribute="intact")
    events_checked = fields.Integer(required=True, attribute="events")
    first_broken = fields.Nested(BrokenLinkSchema, required=True, allow_none=True)


class AuditRecordSchema(ma.Schema):
    seq = fields.Integer(required=True)
    recorded_at = fields.String(required=True)
    sub = fields.String(required=True)
    agency = fields.String(required=True)
    roles = fields.String(required=True)
    action = fields.String(required=True)
    object_type = fields.String(required=True)
    object_id = fields.String(required=True)
    object_owner = fields.String(required=True)
    outcome = fields.String(required=True)
    status = fields.Integer(required=True)
    request_id = fields.String(required=True)
    source = fields.String(required=True)
    detail = fields.String(required=True)
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class AuditPageSchema(ma.Schema):
    items = fields.List(fields.Nested(AuditRecordSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    request_id = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
