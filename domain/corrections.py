"""Which earlier entries can be corrected, and which of their fields (corrections are new events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import rules
from domain.errors import DomainError
from domain.subjects import normalised_identifiers, with_new_date_of_birth
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
    _check_subject_kind(changes, current.get("kind"))
    dob = changes.get("date_of_birth", current.get("date_of_birth"))
    checked = {name: _check(name, value, now, dob) for name, value in changes.items()}
    if "date_of_birth" in changes and "identifiers" not in checked and current.get("identifiers"):
        # A corrected date of birth must move the name-and-date identifiers with it, or matching goes stale.
        checked["identifiers"] = with_new_date_of_birth(current["identifiers"], checked["date_of_birth"])
    return checked


def _check_subject_kind(changes: dict[str, Any], kind: str | None) -> None:
    if "witting" in changes and kind != "business":
        raise DomainError("only businesses are witting or unwitting", "changes.witting")
    if "date_of_birth" in changes and kind != "person":
        raise DomainError("only a person has a date of birth", "changes.date_of_birth")


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
        try:
            return normalised_identifiers(value, dob)
        except DomainError as error:
            raise DomainError(error.message, f"changes.{error.field}") from None
    raise DomainError("cannot be corrected", field)  # pragma: no cover - CORRECTABLE guards this
