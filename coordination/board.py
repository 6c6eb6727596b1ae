"""Use cases of the coordination group's board, each agency's conflict list and its notifications."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Protocol

from coordination import access
from coordination.conflicts import COORDINATORS, READERS
from coordination.context import RequestContext
from coordination.ledger import Ledger
from coordination.notification_bell import NotificationBell
from coordination.notification_tail import parse_cursor
from coordination.read_your_writes import after_position

MAX_PAGE = 100
HEARTBEAT_JITTER = 0.25  # of the heartbeat: 15 s becomes 11.25-15 s


class BoardReader(Protocol):
    def wait_for(self, position: int, timeout: float) -> bool: ...

    def conflicts_of(self, agency: str, *, status: str | None, before: int | None,
                     limit: int) -> tuple[list[dict[str, Any]], int | None]: ...

    def board(self, *, now: datetime, hours: int, bbox: tuple[float, float, float, float] | None,
              window: tuple[datetime | None, datetime | None]) -> dict[str, Any]: ...

    def notifications(self, agency: str, *, after: tuple[int, int], limit: int) -> list[dict[str, Any]]: ...

    def operations_visible_to(self, agency: str, *, investigation_id: str | None, starts_before: datetime | None,
                              ends_after: datetime | None, before: int | None,
                              limit: int) -> tuple[list[dict[str, Any]], int | None]: ...


class Board:
    """Reads of the deconfliction read model; each can wait (bounded) to show the caller's own writes."""

    def __init__(self, reader: BoardReader, *, ledger: Ledger, read_wait_max: float,
                 unavailable: tuple[type[Exception], ...], bell: NotificationBell | None = None):
        self.reader = reader
        self.bell = bell
        self.ledger = ledger
        self.read_wait_max = read_wait_max
        self.unavailable = unavailable

    def conflicts(self, ctx: RequestContext, *, status: str | None, before: int | None, limit: int,
                  min_position: int | None) -> dict[str, Any]:
        """The conflicts the caller's agency is party to, at pointer level, newest first (closed ones too)."""
        access.require_role(ctx.actor, READERS, "listing conflicts")
        items, next_before = self._read(min_position, lambda: self.reader.conflicts_of(
            ctx.actor.agency, status=status, before=before, limit=max(1, min(limit, MAX_PAGE))))
        return {"items": items, "next_cursor": str(next_before) if next_before is not None else None}

    def board(self, ctx: RequestContext, *, hours: int, bbox: tuple[float, float, float, float] | None,
              starts_after: datetime | None, starts_before: datetime | None,
              min_position: int | None) -> dict[str, Any]:
        """The coordination group's board: open conflicts, overdue ones, operations starting soon, counts."""
        access.require_role(ctx.actor, COORDINATORS, "reading the coordination board")
        now = datetime.now(UTC)
        board = self._read(min_position, lambda: self.reader.board(
            now=now, hours=hours, bbox=bbox, window=(starts_after, starts_before)))
        return {"as_of": now, **board}

    def operations(self, ctx: RequestContext, *, investigation_id: str | None, starts_before: datetime | None,
                   ends_after: datetime | None, before: int | None, limit: int,
                   min_position: int | None) -> dict[str, Any]:
        """The operations the caller may see, newest first, by investigation and by window."""
        access.require_role(ctx.actor, access.CASE_READERS, "listing operations")
        items, next_before = self._read(min_position, lambda: self.reader.operations_visible_to(
            ctx.actor.agency, investigation_id=investigation_id, starts_before=starts_before, ends_after=ends_after,
            before=before, limit=max(1, min(limit, MAX_PAGE))))
        return {"items": items, "next_cursor": str(next_before) if next_before is not None else None}

    def notifications(self, ctx: RequestContext, *, cursor: tuple[int, int], limit: int) -> dict[str, Any]:
        """What the caller's agency was told since `cursor`: new conflicts (whom to call) and their changes."""
        access.require_role(ctx.actor, READERS, "reading notifications")
        items = self._read(None, lambda: self.reader.notifications(
            ctx.actor.agency, after=cursor, limit=max(1, min(limit, MAX_PAGE))))
        return {"items": items, "next_cursor": items[-1]["cursor"] if items else _cursor_text(cursor)}

    def stream(self, ctx: RequestContext, *, cursor: tuple[int, int], max_seconds: float,
               heartbeat: float = 15.0) -> Iterator[list[dict[str, Any]]]:
        """The caller's agency's notifications as they come: each batch once, an empty one as a heartbeat.

        Ends after `max_seconds`: the client reconnects with Last-Event-ID, and its token is checked again.
        """
        access.require_role(ctx.actor, READERS, "following notifications")  # now, before the stream opens
        return self._follow(ctx, cursor, max_seconds, heartbeat)

    def _follow(self, ctx: RequestContext, cursor: tuple[int, int], max_seconds: float,
                heartbeat: float) -> Iterator[list[dict[str, Any]]]:
        assert self.bell is not None
        deadline = time.monotonic() + max_seconds
        with self.bell.follow(ctx.actor.agency) as tail:
            while time.monotonic() < deadline:
                items = tail.after(cursor, MAX_PAGE)
                if items is None:  # older than what the bell keeps: catch up from the read model, a page at a time
                    start = tail.start  # taken before the read, so the read covers everything up to it
                    items = self.notifications(ctx, cursor=cursor, limit=MAX_PAGE)["items"]
                    if items:
                        cursor = parse_cursor(items[-1]["cursor"])
                    if len(items) < MAX_PAGE and start is not None:
                        cursor = max(cursor, start)  # a short page leaves nothing up to `start`: follow the tail
                elif items:
                    cursor = parse_cursor(items[-1]["cursor"])
                if items:
                    yield items
                    continue
                if not tail.wait(cursor, min(heartbeat_after(heartbeat), deadline - time.monotonic())):
                    yield []

    def _read(self, min_position: int | None, query: Any) -> Any:
        return after_position(self.ledger, self.reader, min_position, wait_max=self.read_wait_max,
                              unavailable=self.unavailable, what="the board", query=query)


def heartbeat_after(heartbeat: float) -> float:
    """How long a quiet stream waits before its keep-alive: at most `heartbeat`, spread so that streams opened
    together do not all fall due together."""
    return random.uniform(heartbeat * (1 - HEARTBEAT_JITTER), heartbeat)


def _cursor_text(cursor: tuple[int, int]) -> str:
    # The start of the list has no side yet: "0", which parse_cursor reads back as the start.
    return f"{cursor[0]}.{cursor[1]}" if cursor[1] >= 0 else str(cursor[0])
