"""Operation routes: plan, amend, withdraw and read, each answered with its deconfliction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app, url_for
from flask.views import MethodView

from api import deconfliction_schemas as schemas
from api.blueprint import Blueprint
from api.headers import headers
from api.requests import context, if_match, read, written

blp = Blueprint("operations", __name__, url_prefix="/api/v1/operations",
                description="Operations: the enforcement actions investigations plan, deconflicted as they are.")


def services() -> Any:
    return current_app.extensions["pathways"]


@blp.route("")
class OperationCollection(MethodView):
    """Planning operations, and the ones you may see."""

    @blp.arguments(schemas.OperationListQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.OperationPageSchema)
    def get(self, limit: int = 50, cursor: str | None = None, min_position: int | None = None,
            investigation_id: UUID | None = None, starts_before: Any = None, ends_after: Any = None) -> Any:
        """List the operations your agency may see, newest first; by investigation and by window."""
        return services().board.operations(
            context(), investigation_id=str(investigation_id) if investigation_id else None,
            starts_before=starts_before, ends_after=ends_after, before=int(cursor) if cursor else None,
            limit=limit, min_position=min_position)

    @headers(idempotency_key=True)
    @blp.arguments(schemas.PlanOperationSchema)
    @blp.response(201, schemas.CheckedOperationSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Plan an operation: the answer says at once whether it conflicts, and whom to call."""
        outcome = services().operations.plan(context(), **body)
        return written(outcome, location=url_for("operations.OperationItem", operation_id=outcome.result["id"]))


@blp.route("/<uuid:operation_id>")
class OperationItem(MethodView):
    """One operation."""

    @blp.response(200, schemas.OperationSchema)
    def get(self, operation_id: UUID) -> Any:
        """Read one operation (its planner and the agencies that see its investigation); version is the ETag."""
        return read(services().operations.get(context(), operation_id), with_etag=True)


@blp.route("/<uuid:operation_id>/amend")
class Amend(MethodView):
    """Changes to a plan, each checked again."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.AmendOperationSchema)
    @blp.response(200, schemas.CheckedOperationSchema)
    def post(self, body: dict[str, Any], operation_id: UUID) -> Any:
        """Amend the plan; new conflicts are reported and those that no longer hold marked obsolete."""
        return written(services().operations.amend(context(), operation_id, changes=body,
                                                   expected_version=if_match()))


@blp.route("/<uuid:operation_id>/withdraw")
class Withdraw(MethodView):
    """Calling an operation off."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.WithdrawSchema)
    @blp.response(200, schemas.CheckedOperationSchema)
    def post(self, body: dict[str, Any], operation_id: UUID) -> Any:
        """Withdraw the operation; its open conflicts become obsolete for both sides."""
        return written(services().operations.withdraw(context(), operation_id, reason=body["reason"],
                                                      expected_version=if_match()))
