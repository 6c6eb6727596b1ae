"""Request and response bodies of the prosecution file: charges, witnesses, discovery, reviews, the statutes."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.schemas import AGENCY, Strict, TimelineActorSchema
from domain.case_file import REVIEW_KINDS, SUPPORT_KINDS
from domain.witnesses import GIGLIO_FLAGS, IMMUNITY, WITNESS_KINDS

CITATION = "a U.S. Code citation, e.g. 8 U.S.C. 1324(a)(1)(A)(ii); the catalogue's statutes bring their elements"


class ProposeChargeSchema(Strict):
    statute = fields.String(required=True, validate=validate.Length(1, 100), metadata={"description": CITATION})
    elements = fields.List(fields.String(validate=validate.Length(1, 500)), load_default=None, allow_none=True,
                           validate=validate.Length(0, 20),
                           metadata={"description": "what must be proved; default: the catalogue's for the statute"})
    defendants = fields.List(fields.UUID(), load_default=None, allow_none=True, validate=validate.Length(0, 50),
                             metadata={"description": "subjects of the case charged"})


class SupportSchema(Strict):
    element = fields.Integer(required=True, metadata={"description": "the element's index in the charge"})
    kind = fields.String(required=True, validate=validate.OneOf(SUPPORT_KINDS))
    ref = fields.String(required=True, validate=validate.Length(1, 40), metadata={
        "description": "an evidence item's id, a witness's id, or the version of a logged action of the case"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 2000))


class WitnessSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    kind = fields.String(required=True, validate=validate.OneOf(WITNESS_KINDS))
    agency = fields.String(load_default=None, allow_none=True, validate=AGENCY,
                           metadata={"description": "law_enforcement: required"})
    anticipated_testimony = fields.String(required=True, validate=validate.Length(1, 5000))
    promises = fields.List(fields.String(validate=validate.Length(1, 1000)), load_default=None, allow_none=True,
                           validate=validate.Length(0, 20))
    immunity = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(IMMUNITY))
    giglio_flags = fields.List(fields.String(validate=validate.OneOf(GIGLIO_FLAGS)), load_default=None,
                               allow_none=True, validate=validate.Length(0, 20))
    giglio_note = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 2000))


class ProductionSchema(Strict):
    description = fields.String(required=True, validate=validate.Length(1, 2000))
    produced_to = fields.String(required=True, validate=validate.Length(1, 300))
    produced_at = fields.String(required=True, metadata={"description": "a date, e.g. 2027-01-15"})
    bates_start = fields.String(required=True, validate=validate.Length(1, 40), metadata={"example": "HSI-000001"})
    bates_end = fields.String(required=True, validate=validate.Length(1, 40), metadata={"example": "HSI-000250"})
    record_ids = fields.List(fields.UUID(), load_default=None, allow_none=True, validate=validate.Length(0, 500))


class DisclosureReviewSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(REVIEW_KINDS), metadata={
        "description": "jencks: statements and agent notes collected; brady_giglio: files reviewed for them"})
    agency = fields.String(required=True, validate=AGENCY, metadata={"description": "whose files were reviewed"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 2000))


class SupportViewSchema(ma.Schema):
    kind = fields.String(required=True)
    ref = fields.String(required=True)
    agency = fields.String(required=True, metadata={"description": "the agency that put the record in the case"})
    note = fields.String(required=True, allow_none=True)


WITHHELD = {"description": "how many concern another partner agency, whose contributions you may not see"}


class ElementSchema(ma.Schema):
    index = fields.Integer(required=True)
    element = fields.String(required=True)
    supported = fields.Boolean(required=True, metadata={"description": "false: a gap"})
    support = fields.List(fields.Nested(SupportViewSchema), required=True)
    support_withheld = fields.Integer(required=True, metadata=WITHHELD)


class ChargeSchema(ma.Schema):
    id = fields.UUID(required=True)
    statute = fields.String(required=True)
    title = fields.String(required=True, allow_none=True, metadata={"description": "the catalogue's, if in it"})
    elements = fields.List(fields.Nested(ElementSchema), required=True)
    defendants = fields.List(fields.String(), required=True)
    defendants_withheld = fields.Integer(required=True, metadata=WITHHELD)
    version = fields.Integer(required=True, metadata={"description": "the file's version that proposed it"})


class WitnessViewSchema(ma.Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    agency = fields.String(required=True, allow_none=True)
    anticipated_testimony = fields.String(required=True)
    promises = fields.List(fields.String(), required=True)
    immunity = fields.String(required=True)
    giglio_flags = fields.List(fields.String(), required=True)
    giglio_note = fields.String(required=True)


class ProductionViewSchema(ma.Schema):
    id = fields.UUID(required=True)
    description = fields.String(required=True)
    produced_to = fields.String(required=True)
    produced_at = fields.String(required=True)
    bates_start = fields.String(required=True)
    bates_end = fields.String(required=True)
    pages = fields.Integer(required=True)
    record_ids = fields.List(fields.String(), required=True)
    overlapping = fields.List(fields.String(), required=True,
                              metadata={"description": "earlier productions whose Bates numbers this one reuses"})


class DisclosureReviewViewSchema(ma.Schema):
    kind = fields.String(required=True)
    agency = fields.String(required=True)
    note = fields.String(required=True, allow_none=True)
    by = fields.Nested(TimelineActorSchema, required=True)
    at = fields.DateTime(required=True)


class CaseFileSchema(ma.Schema):
    investigation_id = fields.UUID(required=True)
    charges = fields.List(fields.Nested(ChargeSchema), required=True)
    witnesses = fields.List(fields.Nested(WitnessViewSchema), required=True)
    productions = fields.List(fields.Nested(ProductionViewSchema), required=True)
    reviews = fields.List(fields.Nested(DisclosureReviewViewSchema), required=True)
    version = fields.Integer(required=True, metadata={"description": "the file's version (0: nothing in it yet)"})
    created_id = fields.UUID(required=True, allow_none=True,
                             metadata={"description": "a write's answer: the charge, witness or production it added"})


class StatuteSchema(ma.Schema):
    citation = fields.String(required=True)
    title = fields.String(required=True)
    elements = fields.List(fields.String(), required=True)


class StatuteListSchema(ma.Schema):
    items = fields.List(fields.Nested(StatuteSchema), required=True)
