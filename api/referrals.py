"""Referral routes: a case put to a prosecutor's office, approved, submitted, then accepted, declined or returned."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app, url_for
from flask.views import MethodView

from api import referral_schemas as schemas
from api.blueprint import Blueprint
from api.headers import headers
from api.requests import context, if_match, read, written

blp = Blueprint("referrals", __name__, url_prefix="/api/v1",
                description="Referrals: drafted by the owning agency, approved by its supervisor and submitted; from "
                            "submission the office's prosecutors read the case (read only) and accept, decline or "
                            "return it. Each step needs If-Match.")
ITEM = "/referrals/<uuid:referral_id>"


def referrals() -> Any:
    return current_app.extensions["pathways"].referrals


@blp.route("/investigations/<uuid:investigation_id>/referrals")
class CaseReferrals(MethodView):
    """A case's referrals."""

    @blp.response(200, schemas.ReferralListSchema)
    def get(self, investigation_id: UUID) -> Any:
        """List the case's referrals you may see (an office sees its own, once submitted)."""
        return read(referrals().of_case(context(), investigation_id))

    @headers(idempotency_key=True)
    @blp.arguments(schemas.DraftReferralSchema)
    @blp.response(201, schemas.ReferralSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Draft a referral to an office (the owning agency), naming the proposed counts it puts forward."""
        outcome = referrals().draft(context(), investigation_id, **body)
        return written(outcome, location=url_for("referrals.Referral", referral_id=outcome.result["id"]))


@blp.route(ITEM)
class Referral(MethodView):
    """One referral."""

    @blp.response(200, schemas.ReferralSchema)
    def get(self, referral_id: UUID) -> Any:
        """Read a referral and each step taken; version is the ETag."""
        return read(referrals().get(context(), referral_id), with_etag=True)


@blp.route(f"{ITEM}/approve")
class Approve(MethodView):
    """A supervisor's approval."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.ApproveReferralSchema)
    @blp.response(200, schemas.ReferralSchema)
    def post(self, body: dict[str, Any], referral_id: UUID) -> Any:
        """Approve the draft (a supervisor of the referring agency)."""
        return written(referrals().approve(context(), referral_id, note=body["note"], expected_version=if_match()))


@blp.route(f"{ITEM}/submit")
class Submit(MethodView):
    """Sending it."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.SubmitReferralSchema)
    @blp.response(200, schemas.ReferralSchema)
    def post(self, body: dict[str, Any], referral_id: UUID) -> Any:
        """Submit the approved referral: the office's prosecutors read the case from now on."""
        return written(referrals().submit(context(), referral_id, expected_version=if_match()))


@blp.route(f"{ITEM}/accept")
class Accept(MethodView):
    """The office takes the case."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.AcceptReferralSchema)
    @blp.response(200, schemas.ReferralSchema)
    def post(self, body: dict[str, Any], referral_id: UUID) -> Any:
        """Accept (a prosecutor of the office), deciding each count; a declined count needs its reason."""
        counts = [{**c, "charge_id": str(c["charge_id"])} for c in body["counts"]] if body["counts"] else None
        return written(referrals().accept(context(), referral_id, counts=counts, memo=body["memo"],
                                          expected_version=if_match()))


@blp.route(f"{ITEM}/decline")
class Decline(MethodView):
    """The office declines the case."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.DeclineReferralSchema)
    @blp.response(200, schemas.ReferralSchema)
    def post(self, body: dict[str, Any], referral_id: UUID) -> Any:
        """Decline (a prosecutor of the office) for a Justice Manual 9-27.220 reason, with a memo."""
        return written(referrals().decline(context(), referral_id, reason=body["reason"], memo=body["memo"],
                                           expected_version=if_match()))


@blp.route(f"{ITEM}/return")
class Return(MethodView):
    """The office sends the case back for more investigation."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.ReturnReferralSchema)
    @blp.response(200, schemas.ReferralSchema)
    def post(self, body: dict[str, Any], referral_id: UUID) -> Any:
        """Return the referral (a prosecutor of the office), saying what more is needed."""
        return written(referrals().send_back(context(), referral_id, memo=body["memo"], expected_version=if_match()))
