"""Request and response bodies of evidence: an item, a transfer of custody, a lab request and its result."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.schemas import Strict, TimelineActorSchema
from domain.custody import DISCREPANCIES, EVIDENCE_KINDS, PURPOSES

DECIMAL = 'a decimal written as a string, e.g. "12500.50" (never a float)'


class LogEvidenceSchema(Strict):
    description = fields.String(required=True, validate=validate.Length(1, 2000))
    kind = fields.String(required=True, validate=validate.OneOf(EVIDENCE_KINDS))
    quantity = fields.Integer(load_default=None, allow_none=True, metadata={"description": "1 or more"})
    amount = fields.String(load_default=None, allow_none=True, metadata={"description": f"currency: {DECIMAL}"})
    currency = fields.String(load_default=None, allow_none=True, metadata={"description": "currency: ISO 4217"})
    seized_at = fields.AwareDateTime(required=True)
    seized_from = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 300))
    operation_id = fields.UUID(load_default=None, allow_none=True,
                               metadata={"description": "the operation of this case that seized it"})
    seal_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 100))
    sha256 = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "digital: the SHA-256 of the acquired image, 64 hex digits"})
    custodian = fields.String(required=True, validate=validate.Length(1, 200))
    location = fields.String(required=True, validate=validate.Length(1, 300))


class TransferSchema(Strict):
    from_ = fields.String(required=True, data_key="from", validate=validate.Length(1, 200))
    to = fields.String(required=True, validate=validate.Length(1, 200))
    at = fields.AwareDateTime(required=True)
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    seal_intact = fields.Boolean(required=True)
    condition = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 1000))
    location = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 300),
                             metadata={"description": "where the item is kept from now on"})


class LabRequestSchema(Strict):
    lab = fields.String(required=True, validate=validate.Length(1, 200))
    analysis = fields.String(required=True, validate=validate.Length(1, 2000))
    requested_at = fields.AwareDateTime(load_default=None, allow_none=True, metadata={"description": "default: now"})


class LabResultSchema(Strict):
    request_id = fields.UUID(required=True)
    findings = fields.String(required=True, validate=validate.Length(1, 10_000))
    analyst = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 200))
    reported_at = fields.AwareDateTime(load_default=None, allow_none=True, metadata={"description": "default: now"})


class EvidenceListQuery(Strict):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{1,9}$", error="not a cursor"))


class DiscrepancySchema(ma.Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DISCREPANCIES))
    detail = fields.String(required=True)


class FlaggedSchema(DiscrepancySchema):
    transfer_version = fields.Integer(required=True, metadata={"description": "the item's version that recorded it"})


class CustodyEntrySchema(ma.Schema):
    version = fields.Integer(required=True)
    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)
    at = fields.DateTime(required=True)
    purpose = fields.String(required=True)
    seal_intact = fields.Boolean(required=True)
    condition = fields.String(required=True, allow_none=True)
    location = fields.String(required=True, allow_none=True)
    recorded_by = fields.Nested(TimelineActorSchema, required=True)
    discrepancies = fields.List(fields.Nested(DiscrepancySchema), required=True)


class LabFindingsSchema(ma.Schema):
    findings = fields.String(required=True)
    analyst = fields.String(required=True, allow_none=True)
    reported_at = fields.DateTime(required=True)


class LabWorkSchema(ma.Schema):
    id = fields.UUID(required=True)
    lab = fields.String(required=True)
    analysis = fields.String(required=True)
    requested_at = fields.DateTime(required=True)
    result = fields.Nested(LabFindingsSchema, required=True, allow_none=True)


class EvidenceSchema(ma.Schema):
    id = fields.UUID(required=True)
    investigation_id = fields.UUID(required=True)
    operation_id = fields.UUID(required=True, allow_none=True)
    owning_agency = fields.String(required=True)
    description = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(EVIDENCE_KINDS))
    quantity = fields.Integer(required=True, allow_none=True)
    amount = fields.String(required=True, allow_none=True)
    currency = fields.String(required=True, allow_none=True)
    seized_at = fields.DateTime(required=True)
    seized_from = fields.String(required=True, allow_none=True)
    seal_number = fields.String(required=True, allow_none=True)
    sha256 = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(("in_custody", "released")))
    custodian = fields.String(required=True)
    location = fields.String(required=True)
    custody = fields.List(fields.Nested(CustodyEntrySchema), required=True)
    chain_intact = fields.Boolean(required=True)
    discrepancies = fields.List(fields.Nested(FlaggedSchema), required=True)
    lab_requests = fields.List(fields.Nested(LabWorkSchema), required=True)
    version = fields.Integer(required=True)


class EvidencePageSchema(ma.Schema):
    items = fields.List(fields.Nested(EvidenceSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True, metadata={"description": "the investigation's version"})
