"""The coordination group's board and each agency's notifications."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from api import deconfliction_schemas as schemas
from api.blueprint import Blueprint
from api.requests import context
from coordination.board import parse_cursor

blp = Blueprint("board", __name__, url_prefix="/api/v1",
                description="The coordination group's board, and what each agency is told of its conflicts.")


def services() -> Any:
    return current_app.extensions["pathways"]


@blp.route("/coordination/board")
class CoordinationBoard(MethodView):
    """Open conflicts and operations starting soon, at pointer level (coordinators)."""

    @blp.arguments(schemas.BoardQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.BoardSchema)
    def get(self, hours: int = 24, min_position: int | None = None, starts_after: Any = None,
            starts_before: Any = None, **box: float) -> Any:
        """Open conflicts by severity and time to start, the overdue ones, upcoming operations and counts."""
        bbox = (box["min_lat"], box["max_lat"], box["min_lon"], box["max_lon"]) if box else None
        return services().board.board(context(), hours=hours, bbox=bbox, starts_after=starts_after,
                                      starts_before=starts_before, min_position=min_position)


@blp.route("/notifications")
class Notifications(MethodView):
    """What your agency was told: new conflicts with whom to call, and each change of them."""

    @blp.arguments(schemas.NotificationsQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.NotificationPageSchema)
    def get(self, cursor: str | None = None, limit: int = 100) -> Any:
        """Your agency's notifications after `cursor`, oldest first; pass back `next_cursor` to go on."""
        return services().board.notifications(context(), cursor=parse_cursor(cursor), limit=limit)
