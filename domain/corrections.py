"""Which earlier entries can be corrected, and which of their fields (corrections are new events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import rules
from domain.errors import DomainError
from domain.subjects import normalised_identifiers
from domain.vocabulary import ACTION_KINDS, NETWORK_ROLES, THREAT_DOMAINS

CORRECTABLE: dict[str, frozenset[str]] = {
    "opening": frozenset({"title", "summary", "threat_domain"}),
    "action": frozenset({"kind", "summary", "occurred_at", "location"}),
    "subject": frozenset({"name", "role", "witting", "date_of_birth", "identifiers"}),
}


def checked_changes(
    entry_kind: str, changes: dict[str, Any], now: datetime, current: dict[str, Any]
) -> dict[str, Any]:
    """The corrected values, each checked by the rule that checked the original."""
    if not changes:
        raise DomainError("name at least one field to correct", "changes")
    allowed = CORRECTABLE[entry_kind]
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise DomainError(
            f"a {entry_kind} entry cannot have {', '.join(unknown)} corrected "
            f"(correctable: {', '.join(sorted(allowed))})",
            f"changes.{unknown[0]}",
        )
    dob = changes.get("date_of_birth", current.get("date_of_birth"))
    return {name: _check(name, value, now, dob) for name, value in changes.items()}


def _check(name: str, value: Any, now: datetime, dob: str | None) -> Any:
    field = f"changes.{name}"
    if name == "title" or name == "name":
        return rules.text(value, field)
    if name == "summary":
        return rules.text(value, field, max_len=10_000)
    if name == "threat_domain":
        return rules.one_of(value, THREAT_DOMAINS, field)
    if name == "kind":
        return rules.one_of(value, ACTION_KINDS, field)
    if name == "role":
        return rules.one_of(value, NETWORK_ROLES, field)
    if name == "occurred_at":
        if not isinstance(value, datetime):
            raise DomainError("must be a date-time", field)
        return rules.occurred_at(value, now, field)
    if name == "location":
        return rules.location(value, field)
    if name == "witting":
        if not isinstance(value, bool):
            raise DomainError("must be true or false", field)
        return value
    if name == "date_of_birth":
        return rules.past_date(value, field, now.date())
    if name == "identifiers":
        if not isinstance(value, list):
            raise DomainError("must be a list", field)
        return normalised_identifiers(value, dob)
    raise DomainError("cannot be corrected", field)  # pragma: no cover - CORRECTABLE guards this
