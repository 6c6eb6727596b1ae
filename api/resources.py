"""Resource routes: the register of each agency's resources, and what operations ask of them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app
from flask.views import MethodView

from api import resource_schemas as schemas
from api.blueprint import Blueprint
from api.headers import headers
from api.requests import context, if_match, written

blp = Blueprint("resources", __name__, url_prefix="/api/v1",
                description="Resources: what agencies can commit to operations, and what operations ask of them. "
                            "A named resource is never committed to two operations at the same time.")


def services() -> Any:
    return current_app.extensions["pathways"]


@blp.route("/resources")
class ResourceCollection(MethodView):
    """The register of resources."""

    @blp.arguments(schemas.ResourceListQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.ResourcePageSchema)
    def get(self, limit: int = 50, cursor: str | None = None, min_position: int | None = None,
            agency: str | None = None, kind: str | None = None) -> Any:
        """Every agency's resources (kind, name, agency), newest first; by agency and kind."""
        return services().resource_listing.resources(context(), agency=agency, kind=kind,
                                                     before=int(cursor) if cursor else None, limit=limit,
                                                     min_position=min_position)

    @headers(idempotency_key=True)
    @blp.arguments(schemas.RegisterResourceSchema)
    @blp.response(201, schemas.ResourceSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Register a resource of your agency (a coordinator: of any agency)."""
        return written(services().resources.register(context(), kind=body["kind"], name=body["name"],
                                                     agency=body.get("agency")))


@blp.route("/operations/<uuid:operation_id>/resources")
class RequestCollection(MethodView):
    """What an operation asks for."""

    @headers(idempotency_key=True)
    @blp.arguments(schemas.RequestResourceSchema)
    @blp.response(201, schemas.ResourceRequestSchema)
    def post(self, body: dict[str, Any], operation_id: UUID) -> Any:
        """Ask for a named resource, or for a number of an agency's people (the operation's planner)."""
        return written(services().resources.request(context(), operation_id, resource_id=body.get("resource_id"),
                                                    agency=body.get("agency"), count=body.get("count")))


@blp.route("/operations/<uuid:operation_id>/resources/<uuid:request_id>/commit")
class Commit(MethodView):
    """Committing what was asked."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.AnswerSchema)
    @blp.response(200, schemas.ResourceRequestSchema)
    def post(self, body: dict[str, Any], operation_id: UUID, request_id: UUID) -> Any:
        """Commit it (the resource's agency, or a coordinator); 409 with `commitments` when a named resource is
        committed to another operation at that time."""
        return written(services().resources.commit(context(), operation_id, request_id, note=body["note"],
                                                   expected_version=if_match()))


@blp.route("/operations/<uuid:operation_id>/resources/<uuid:request_id>/decline")
class Decline(MethodView):
    """Declining what was asked."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.DeclineSchema)
    @blp.response(200, schemas.ResourceRequestSchema)
    def post(self, body: dict[str, Any], operation_id: UUID, request_id: UUID) -> Any:
        """Decline it, saying why (the resource's agency, or a coordinator)."""
        return written(services().resources.decline(context(), operation_id, request_id, reason=body["reason"],
                                                    expected_version=if_match()))


@blp.route("/coordination/resources")
class Commitments(MethodView):
    """Who is committed to which operations, and when."""

    @blp.arguments(schemas.CommitmentsQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.CommitmentsSchema)
    def get(self, from_: Any = None, to: Any = None, agency: str | None = None,
            min_position: int | None = None) -> Any:
        """Commitments per day, agency and resource kind; requests still pending; named resources committed to
        operations whose windows overlap. Other agencies' operations at pointer level."""
        view = services().resource_listing.commitments(context(), first=from_, last=to, agency=agency,
                                                       min_position=min_position)
        return {**view, "from_": view.pop("from")}
