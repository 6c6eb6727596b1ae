"""Operation lifecycle routes: approve, exempt, start, complete and cancel, each with If-Match."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app
from flask.views import MethodView

from api import deconfliction_schemas as views
from api import operation_lifecycle_schemas as schemas
from api.blueprint import Blueprint
from api.headers import headers
from api.requests import context, if_match, written

blp = Blueprint("operation_lifecycle", __name__, url_prefix="/api/v1/operations",
                description="An operation's lifecycle: approved by a supervisor, started once its conflicts are "
                            "resolved (or exempted), completed with its results, or cancelled.")


def lifecycle() -> Any:
    return current_app.extensions["pathways"].lifecycle


@blp.route("/<uuid:operation_id>/approve")
class Approve(MethodView):
    """A supervisor's approval."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.ApproveSchema)
    @blp.response(200, views.OperationSchema)
    def post(self, body: dict[str, Any], operation_id: UUID) -> Any:
        """Approve the plan as it stands (a supervisor of the planning agency); amending it needs approving again."""
        return written(lifecycle().approve(context(), operation_id, note=body["note"], expected_version=if_match()))


@blp.route("/<uuid:operation_id>/exempt")
class Exempt(MethodView):
    """A supervisor's exemption from the start guard."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.ReasonSchema)
    @blp.response(200, views.OperationSchema)
    def post(self, body: dict[str, Any], operation_id: UUID) -> Any:
        """Let the operation start with conflicts still open (a supervisor of the planning agency), saying why."""
        return written(lifecycle().exempt(context(), operation_id, reason=body["reason"],
                                          expected_version=if_match()))


@blp.route("/<uuid:operation_id>/start")
class Start(MethodView):
    """Going."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.StartSchema)
    @blp.response(200, views.CheckedOperationSchema)
    def post(self, body: dict[str, Any], operation_id: UUID) -> Any:
        """Start an approved operation. It is checked again first; an open conflict refuses the start (409 with
        `open_conflicts`) unless a supervisor exempted it."""
        return written(lifecycle().start(context(), operation_id, started_at=body["started_at"],
                                         expected_version=if_match()))


@blp.route("/<uuid:operation_id>/complete")
class Complete(MethodView):
    """The end of an operation, with what it achieved."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.CompleteSchema)
    @blp.response(200, views.CheckedOperationSchema)
    def post(self, body: dict[str, Any], operation_id: UUID) -> Any:
        """Complete a started operation with its results; it is no longer deconflicted against."""
        return written(lifecycle().complete(context(), operation_id, results=body["results"],
                                            completed_at=body["completed_at"], expected_version=if_match()))


@blp.route("/<uuid:operation_id>/cancel")
class Cancel(MethodView):
    """Calling an operation off at any point before it is completed."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.ReasonSchema)
    @blp.response(200, views.CheckedOperationSchema)
    def post(self, body: dict[str, Any], operation_id: UUID) -> Any:
        """Cancel the operation; its open conflicts become obsolete for both sides."""
        return written(lifecycle().cancel(context(), operation_id, reason=body["reason"],
                                          expected_version=if_match()))
