"""Prosecution readiness routes: one case's checklist, and the cases the caller sees, least ready first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app
from flask.views import MethodView

from api.blueprint import Blueprint
from api.readiness_schemas import CaseReadinessQuery, CaseReadinessSchema, ReadinessListQuery, ReadinessPageSchema
from api.requests import context, read

blp = Blueprint("readiness", __name__, url_prefix="/api/v1",
                description="Whether cases are ready for prosecution: DOMAIN.md §3's checklist (charges and their "
                            "elements, defendants, witnesses, custody, disclosure, discovery, charging decisions, "
                            "forfeiture), each item ok, a gap or not applicable, with the records behind it.")


def readiness() -> Any:
    return current_app.extensions["pathways"].prosecution_readiness


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
