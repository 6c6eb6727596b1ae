"""Reads of the resource register; each can wait (bounded) to show the caller's own writes."""

from __future__ import annotations

from typing import Any, Protocol

from coordination import access
from coordination.context import RequestContext
from coordination.ledger import Ledger
from coordination.read_your_writes import after_position

READERS = access.CASE_READERS | frozenset({"coordinator"})
MAX_PAGE = 100


class ResourceReader(Protocol):
    def wait_for(self, position: int, timeout: float) -> bool: ...

    def resources(self, *, agency: str | None, kind: str | None, before: int | None,
                  limit: int) -> tuple[list[dict[str, Any]], int | None]: ...


class ResourceListing:
    """Which resources each agency has: every agency sees the register, to ask for what it needs."""

    def __init__(self, reader: ResourceReader, *, ledger: Ledger, read_wait_max: float,
                 unavailable: tuple[type[Exception], ...]):
        self.reader = reader
        self.ledger = ledger
        self.read_wait_max = read_wait_max
        self.unavailable = unavailable

    def resources(self, ctx: RequestContext, *, agency: str | None, kind: str | None, before: int | None,
                  limit: int, min_position: int | None) -> dict[str, Any]:
        """A page of the register, newest first, by agency and kind."""
        access.require_role(ctx.actor, READERS, "listing resources")
        items, next_before = after_position(
            self.ledger, self.reader, min_position, wait_max=self.read_wait_max, unavailable=self.unavailable,
            what="the resource register", query=lambda: self.reader.resources(
                agency=agency, kind=kind, before=before, limit=max(1, min(limit, MAX_PAGE))))
        return {"items": items, "next_cursor": str(next_before) if next_before is not None else None}
