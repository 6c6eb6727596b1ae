"""The investigation lifecycle of DOMAIN.md §3: which status may follow which, and who may move it."""

from __future__ import annotations

from domain.errors import InvalidTransition

STATUSES = (
    "opened",
    "active",
    "referred",
    "accepted",
    "declined",
    "charged",
    "adjudicated",
    "closed",
    "suspended",
    "reopened",
    "merged",
)

# Closing, suspending and merging are open to every working status; the rest follows the case's path.
TRANSITIONS: dict[str, frozenset[str]] = {
    "opened": frozenset({"active", "suspended", "closed", "merged"}),
    "active": frozenset({"referred", "suspended", "closed", "merged"}),
    "reopened": frozenset({"active", "referred", "suspended", "closed", "merged"}),
    "referred": frozenset({"accepted", "declined", "active"}),  # active: returned for more investigation
    "accepted": frozenset({"charged", "declined"}),
    "declined": frozenset({"reopened", "closed"}),
    "charged": frozenset({"adjudicated"}),
    "adjudicated": frozenset({"closed"}),
    "suspended": frozenset({"reopened", "closed"}),
    "closed": frozenset({"reopened"}),
    "merged": frozenset(),
}

# Approvals are a supervisor's (DOMAIN.md §1: supervisors approve openings, plans and referrals).
SUPERVISOR_ONLY = frozenset({"active", "referred", "suspended", "reopened", "closed", "merged"})

# No new entries once a case is closed or folded into another: reopen it first.
FROZEN = frozenset({"closed", "merged"})


def check_transition(current: str, target: str) -> None:
    """Raise InvalidTransition unless `target` may follow `current`."""
    if target not in STATUSES:
        raise InvalidTransition(f"unknown status {target!r}", field="status")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise InvalidTransition(
            f"an investigation that is {current} cannot become {target} (allowed: {allowed})",
            field="status",
        )

