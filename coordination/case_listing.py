"""Use case: list the investigations a caller may see, from the case list read model."""

from __future__ import annotations

import builtins
from typing import Any, Protocol
from uuid import UUID

from coordination import access
from coordination.context import RequestContext
from coordination.investigations import no_longer_seen
from coordination.ledger import Ledger
from coordination.read_your_writes import after_position

MAX_PAGE = 100


class CaseListReader(Protocol):
    def wait_for(self, position: int, timeout: float) -> bool: ...

    def visible_to(
        self, agency: str, *, status: str | None, threat_domain: str | None, owner: str | None,
        before: int | None, limit: int,
    ) -> tuple[list[dict[str, Any]], int | None]: ...


class CaseListing:
    """Lists cases, never one the caller's agency may not see; can wait to show the caller's own writes."""

    def __init__(
        self, reader: CaseListReader, *, ledger: Ledger, read_wait_max: float,
        unavailable: tuple[type[Exception], ...],
    ):
        self.reader = reader
        self.ledger = ledger
        self.read_wait_max = read_wait_max
        self.unavailable = unavailable

    def list(
        self, ctx: RequestContext, *, status: str | None = None, threat_domain: str | None = None,
        agency: str | None = None, before: int | None = None, limit: int = 50, min_position: int | None = None,
    ) -> dict[str, Any]:
        """A page of visible cases, newest first; `min_position` waits (bounded) for the caller's own write."""
        access.require_role(ctx.actor, access.CASE_READERS, "listing investigations")
        items, next_before = after_position(
            self.ledger, self.reader, min_position, wait_max=self.read_wait_max, unavailable=self.unavailable,
            what="the case list", query=lambda: self.reader.visible_to(
                ctx.actor.agency, status=status, threat_domain=threat_domain, owner=agency,
                before=before, limit=max(1, min(limit, MAX_PAGE))))
        return {"items": self._still_shared(ctx, items), "next_before": next_before}

    def _still_shared(self, ctx: RequestContext, items: builtins.list[dict[str, Any]]) -> builtins.list[dict[str, Any]]:
        """Drop partner cases whose share the ledger has already revoked but the read model not yet folded."""
        partner_ids = [UUID(str(item["id"])) for item in items if item["owning_agency"] != ctx.actor.agency]
        gone = no_longer_seen(self.ledger, ctx.actor, partner_ids)
        return [item for item in items if str(item["id"]) not in gone]
