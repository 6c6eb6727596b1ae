"""Conflict routes: the coordination group takes conflicts, the parties acknowledge and resolve them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app
from flask.views import MethodView

from api import deconfliction_schemas as schemas
from api.blueprint import Blueprint
from api.headers import headers
from api.requests import context, if_match, read, written

blp = Blueprint("conflicts", __name__, url_prefix="/api/v1/deconfliction/conflicts",
                description="Conflicts between submissions, at pointer level: whom to call, nothing else.")


def services() -> Any:
    return current_app.extensions["pathways"]


@blp.route("")
class ConflictCollection(MethodView):
    """The conflicts your agency is party to."""

    @blp.arguments(schemas.ConflictListQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.ConflictPageSchema)
    def get(self, status: str | None = None, limit: int = 50, cursor: str | None = None,
            min_position: int | None = None) -> Any:
        """List your agency's conflicts at pointer level, newest first, including obsolete and resolved ones."""
        return services().board.conflicts(context(), status=status, before=int(cursor) if cursor else None,
                                          limit=limit, min_position=min_position)


@blp.route("/<uuid:conflict_id>")
class ConflictItem(MethodView):
    """One conflict."""

    @blp.response(200, schemas.ConflictSchema)
    def get(self, conflict_id: UUID) -> Any:
        """Read a conflict your agency is party to (any, for a coordinator); version is the ETag."""
        return read(services().conflicts.get(context(), conflict_id), with_etag=True)


@blp.route("/<uuid:conflict_id>/take")
class Take(MethodView):
    """A coordinator owning a conflict."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.NoteSchema)
    @blp.response(200, schemas.ConflictSchema)
    def post(self, body: dict[str, Any], conflict_id: UUID) -> Any:
        """Take the conflict (coordinators): you own it until the parties resolve it."""
        return written(services().conflicts.take(context(), conflict_id, note=body["note"],
                                                 expected_version=if_match()))


@blp.route("/<uuid:conflict_id>/acknowledge")
class Acknowledge(MethodView):
    """A party saying it was told."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.NoteSchema)
    @blp.response(200, schemas.ConflictSchema)
    def post(self, body: dict[str, Any], conflict_id: UUID) -> Any:
        """Acknowledge the conflict for your agency: you have the other side's pointer and will call."""
        return written(services().conflicts.acknowledge(context(), conflict_id, note=body["note"],
                                                        expected_version=if_match()))


@blp.route("/<uuid:conflict_id>/resolve")
class Resolve(MethodView):
    """How a conflict was settled."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.ResolveSchema)
    @blp.response(200, schemas.ConflictSchema)
    def post(self, body: dict[str, Any], conflict_id: UUID) -> Any:
        """Resolve the conflict: proceed separately, joint, rescheduled, cancelled or not a conflict."""
        return written(services().conflicts.resolve(context(), conflict_id, expected_version=if_match(), **body))


@blp.route("/<uuid:conflict_id>/escalate")
class Escalate(MethodView):
    """Handing a conflict up."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.EscalateSchema)
    @blp.response(200, schemas.ConflictSchema)
    def post(self, body: dict[str, Any], conflict_id: UUID) -> Any:
        """Escalate the conflict when the parties cannot agree."""
        return written(services().conflicts.escalate(context(), conflict_id, reason=body["reason"],
                                                     expected_version=if_match()))
