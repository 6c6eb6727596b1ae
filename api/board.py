"""The coordination group's board and each agency's notifications."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView

from api import deconfliction_schemas as schemas
from api.blueprint import Blueprint
from api.requests import context
from api.schemas import ProblemSchema
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


@blp.route("/notifications/stream")
class NotificationStream(MethodView):
    """The same notifications as Server-Sent Events, as they happen."""

    @blp.arguments(schemas.StreamQuery, location="query", as_kwargs=True)
    @blp.response(200, description="text/event-stream: one `conflict` event per notification (its `id` is the "
                  "cursor; reconnect with Last-Event-ID to resume), a comment every 11-15 s while nothing happens.",
                  content_type="text/event-stream")
    @blp.alt_response(401, schema=ProblemSchema)
    def get(self, cursor: str | None = None) -> Any:
        """Follow your agency's notifications; the stream ends after an hour (reconnect with Last-Event-ID)."""
        resume = request.headers.get("Last-Event-ID") or cursor
        if resume is not None and not schemas.CURSOR.fullmatch(resume):
            resume = None  # a cursor not of ours resumes from the start rather than failing the reconnection
        ctx, svc = context(), services()
        batches = svc.board.stream(ctx, cursor=parse_cursor(resume), max_seconds=svc.settings.stream_max_seconds)
        return Response(stream_with_context(_events(batches)), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _events(batches: Iterator[list[dict[str, Any]]]) -> Iterator[str]:
    try:
        yield "retry: 5000\n\n"
        for items in batches:
            if not items:
                yield ": keep-alive\n\n"
            for item in items:
                yield f"id: {item['cursor']}\nevent: conflict\ndata: {json.dumps(item, default=str)}\n\n"
    finally:
        # The client hung up: end the stream now, so that its agency's tail is let go, not at garbage collection.
        getattr(batches, "close", lambda: None)()
