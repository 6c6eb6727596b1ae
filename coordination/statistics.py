"""The coordination group's statistics: what operations achieved, per agency, threat domain or month."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from coordination import access
from coordination.context import RequestContext
from coordination.errors import Invalid
from coordination.ledger import Ledger
from coordination.read_your_writes import after_position

DEFAULT_DAYS = 365
MAX_DAYS = 3660


class StatisticsReader(Protocol):
    def wait_for(self, position: int, timeout: float) -> bool: ...

    def statistics(self, *, group_by: str, first: date, last: date) -> list[dict[str, Any]]: ...


class Statistics:
    """Arrests, seizures, victims and forfeiture, derived from operations' results, never typed in twice."""

    def __init__(self, reader: StatisticsReader, *, ledger: Ledger, read_wait_max: float,
                 unavailable: tuple[type[Exception], ...]):
        self.reader = reader
        self.ledger = ledger
        self.read_wait_max = read_wait_max
        self.unavailable = unavailable

    def statistics(self, ctx: RequestContext, *, group_by: str, first: date | None, last: date | None,
                   min_position: int | None) -> dict[str, Any]:
        """One row per group over the days from `first` to `last` (by when operations were completed)."""
        access.require_role(ctx.actor, access.COORDINATORS, "reading the statistics")
        last = last or datetime.now(UTC).date()
        first = first or last - timedelta(days=DEFAULT_DAYS - 1)
        if last < first:
            raise Invalid("must not be before from", "to")
        if (last - first).days >= MAX_DAYS:
            raise Invalid(f"a range is at most {MAX_DAYS} days", "to")
        rows = after_position(self.ledger, self.reader, min_position, wait_max=self.read_wait_max,
                              unavailable=self.unavailable, what="the statistics",
                              query=lambda: self.reader.statistics(group_by=group_by, first=first, last=last))
        return {"group_by": group_by, "from": first, "to": last, "rows": rows}
