"""The clocks a case runs on (DOMAIN.md §3): an opening report within 10 days of opening, a supervisory review
every 90 days; each agency may set its own. Pure: when each falls due, and whether it is overdue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

OPENING_REPORT = "opening_report"
REVIEW = "review"
CLOCKS = (OPENING_REPORT, REVIEW)
DEFAULT_DAYS = {OPENING_REPORT: 10, REVIEW: 90}


@dataclass(frozen=True)
class ClockRules:
    """Days allowed per clock: the deployment's, and any agency's own."""

    days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_DAYS))
    per_agency: dict[str, dict[str, int]] = field(default_factory=dict)

    def of(self, agency: str, clock: str) -> timedelta:
        return timedelta(days=self.per_agency.get(agency, {}).get(clock, self.days[clock]))


def due(case: dict[str, Any], rules: ClockRules) -> list[tuple[str, datetime]]:
    """When each of a case's clocks falls due: the opening report until one is filed, then the next review
    (counted from the last review, or from the opening before any)."""
    agency, opened = case["agency"], case["opened_at"]
    clocks = []
    if case.get("opening_report_at") is None:
        clocks.append((OPENING_REPORT, opened + rules.of(agency, OPENING_REPORT)))
    clocks.append((REVIEW, (case.get("reviewed_at") or opened) + rules.of(agency, REVIEW)))
    return clocks


def overdue(case: dict[str, Any], rules: ClockRules, now: datetime) -> list[dict[str, Any]]:
    """The clocks of an open case that ran out before `now`, with how long ago."""
    return [{"clock": clock, "due_at": at, "days_overdue": (now - at).days}
            for clock, at in due(case, rules) if at < now]
