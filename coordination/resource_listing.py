"""Reads of the resource register; each can wait (bounded) to show the caller's own writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from coordination import access
from coordination.context import RequestContext
from coordination.errors import Invalid
from coordination.ledger import Ledger
from coordination.read_your_writes import after_position

READERS = access.CASE_READERS | access.COORDINATORS
MAX_PAGE = 100
DEFAULT_DAYS = 30  # the commitments view's window when `to` is not given
MAX_DAYS = 92


class ResourceReader(Protocol):
    def wait_for(self, position: int, timeout: float) -> bool: ...

    def resources(self, *, agency: str | None, kind: str | None, before: int | None,
                  limit: int) -> tuple[list[dict[str, Any]], int | None]: ...

    def commitments(self, *, first: date, last: date, agency: str | None, reader: str) -> dict[str, Any]: ...


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

    def commitments(self, ctx: RequestContext, *, first: date | None, last: date | None, agency: str | None,
                    min_position: int | None) -> dict[str, Any]:
        """Who is committed where, day by day, what is still asked, and what is over-committed; other agencies'
        operations at pointer level."""
        access.require_role(ctx.actor, READERS, "reading the resource commitments")
        first = first or datetime.now(UTC).date()
        last = last or first + timedelta(days=DEFAULT_DAYS)
        if last < first:
            raise Invalid("must not be before from", "to")
        if (last - first).days >= MAX_DAYS:
            raise Invalid(f"a window is at most {MAX_DAYS} days", "to")
        view = after_position(
            self.ledger, self.reader, min_position, wait_max=self.read_wait_max, unavailable=self.unavailable,
            what="the resource commitments", query=lambda: self.reader.commitments(
                first=first, last=last, agency=agency, reader=ctx.actor.agency))
        return {"from": first, "to": last, **view}
