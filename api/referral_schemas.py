"""Request and response bodies of referrals: drafted, approved, submitted, then decided by the office."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.schemas import AGENCY, Strict, TimelineActorSchema
from domain.referral import COUNT_DECISIONS, DECLINATION_REASONS, STATUSES


class DraftReferralSchema(Strict):
    office = fields.String(required=True, validate=AGENCY, metadata={"example": "USAO-SDFL"})
    charge_ids = fields.List(fields.UUID(), load_default=None, allow_none=True, validate=validate.Length(0, 100))
    memo = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 20_000))


class ApproveReferralSchema(Strict):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 2000))


class SubmitReferralSchema(Strict):
    pass


class CountDecisionSchema(Strict):
    charge_id = fields.UUID(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(COUNT_DECISIONS))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(DECLINATION_REASONS),
                           metadata={"description": "decline: required"})


class AcceptReferralSchema(Strict):
    counts = fields.List(fields.Nested(CountDecisionSchema), load_default=None, allow_none=True,
                         metadata={"description": "a decision per count referred; default: charge them all"})
    memo = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 20_000))


class DeclineReferralSchema(Strict):
    reason = fields.String(required=True, validate=validate.OneOf(DECLINATION_REASONS),
                           metadata={"description": "Justice Manual 9-27.220"})
    memo = fields.String(required=True, validate=validate.Length(1, 20_000))


class ReturnReferralSchema(Strict):
    memo = fields.String(required=True, validate=validate.Length(1, 20_000),
                         metadata={"description": "what more investigation is needed"})


class ApprovalSchema(ma.Schema):
    by = fields.Nested(TimelineActorSchema, required=True)
    at = fields.DateTime(required=True)
    note = fields.String(required=True)


class CountViewSchema(ma.Schema):
    charge_id = fields.String(required=True)
    decision = fields.String(required=True)
    reason = fields.String(required=True, allow_none=True)


class DecisionSchema(ma.Schema):
    outcome = fields.String(required=True)
    reason = fields.String(required=True, allow_none=True)
    memo = fields.String(required=True)
    counts = fields.List(fields.Nested(CountViewSchema), required=True)
    by = fields.Nested(TimelineActorSchema, required=True)
    at = fields.DateTime(required=True)


class ReferralSchema(ma.Schema):
    id = fields.UUID(required=True)
    investigation_id = fields.UUID(required=True)
    owning_agency = fields.String(required=True)
    office = fields.String(required=True)
    charge_ids = fields.List(fields.String(), required=True)
    memo = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    approval = fields.Nested(ApprovalSchema, required=True, allow_none=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    decision = fields.Nested(DecisionSchema, required=True, allow_none=True)
    version = fields.Integer(required=True)


class ReferralListSchema(ma.Schema):
    items = fields.List(fields.Nested(ReferralSchema), required=True)
    version = fields.Integer(required=True, metadata={"description": "the investigation's version"})
