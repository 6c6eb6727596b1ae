"""Request bodies of an operation's lifecycle: approve, exempt, start, complete (with results), cancel."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas import Strict
from domain.results import FORFEITURE_PATHS, SEIZURE_KINDS

DECIMAL = {"description": 'a decimal written as a string, e.g. "12500.50" (never a float)'}


class ApproveSchema(Strict):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 2000))


class ReasonSchema(Strict):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class StartSchema(Strict):
    started_at = fields.AwareDateTime(load_default=None, metadata={"description": "default: now; not later"})


class ArrestsSchema(Strict):
    count = fields.Integer(metadata={"description": "default: the subjects named"})
    subject_ids = fields.List(fields.UUID(), metadata={"description": "subjects of the investigation arrested"})


class SeizureSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(SEIZURE_KINDS))
    amount = fields.String(metadata={**DECIMAL, "description": "currency: " + DECIMAL["description"]})
    currency = fields.String(metadata={"description": "currency: ISO 4217 code"})
    substance = fields.String(metadata={"description": "drugs"})
    grams = fields.String(metadata={**DECIMAL, "description": "drugs: " + DECIMAL["description"]})
    count = fields.Integer(metadata={"description": "weapons, vehicles, documents, other (default 1)"})
    weapon_kind = fields.String()
    description = fields.String()


class VictimsSchema(Strict):
    rescued = fields.Integer()
    identified = fields.Integer()


class ForfeitureSchema(Strict):
    asset = fields.String(required=True)
    value = fields.String(metadata=DECIMAL)
    currency = fields.String(metadata={"description": "ISO 4217 code, with value"})
    path = fields.String(required=True, validate=validate.OneOf(FORFEITURE_PATHS))
    notice_deadline = fields.String(metadata={"description": "a date, e.g. 2027-03-31"})


class ResultsSchema(Strict):
    arrests = fields.Nested(ArrestsSchema)
    seizures = fields.List(fields.Nested(SeizureSchema))
    victims = fields.Nested(VictimsSchema)
    forfeiture = fields.List(fields.Nested(ForfeitureSchema))


class CompleteSchema(Strict):
    results = fields.Nested(ResultsSchema, load_default=None, allow_none=True)
    completed_at = fields.AwareDateTime(load_default=None, metadata={"description": "default: now"})
