"""Subjects of an investigation: the people, organisations and businesses of a network."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain import rules
from domain.errors import DomainError
from domain.identifiers import normalise_identifier
from domain.vocabulary import NETWORK_ROLES, SUBJECT_KINDS

MAX_IDENTIFIERS = 50


def subject_details(
    *,
    kind: str,
    name: str,
    role: str,
    witting: bool | None,
    date_of_birth: str | None,
    identifiers: list[dict[str, Any]],
    today: date,
) -> dict[str, Any]:
    """The checked and normalised details of a subject, as its event records them."""
    kind = rules.one_of(kind, SUBJECT_KINDS, "kind")
    if witting is not None and not isinstance(witting, bool):
        raise DomainError("must be true or false", "witting")
    if kind == "business" and witting is None:
        raise DomainError("say whether the business is witting (true) or unwitting (false)", "witting")
    if kind != "business" and witting is not None:
        raise DomainError("only businesses are witting or unwitting", "witting")
    if kind != "person" and date_of_birth is not None:
        raise DomainError("only a person has a date of birth", "date_of_birth")
    dob = rules.past_date(date_of_birth, "date_of_birth", today)
    return {
        "kind": kind,
        "name": rules.text(name, "name"),
        "role": rules.one_of(role, NETWORK_ROLES, "role"),
        "witting": witting,
        "date_of_birth": dob,
        "identifiers": normalised_identifiers(identifiers, dob),
    }


def normalised_identifiers(identifiers: list[dict[str, Any]], dob: str | None) -> list[dict[str, Any]]:
    """Each identifier normalised for exact matching, duplicates dropped, order kept."""
    if len(identifiers) > MAX_IDENTIFIERS:
        raise DomainError(f"at most {MAX_IDENTIFIERS} identifiers", "identifiers")
    seen: list[dict[str, Any]] = []
    for index, raw in enumerate(identifiers):
        if not isinstance(raw, dict):
            raise DomainError("must be an object with type, value and country", f"identifiers.{index}")
        try:
            normalised = normalise_identifier(
                raw.get("type", ""), raw.get("value", ""), raw.get("country"), date_of_birth=dob
            )
        except DomainError as error:
            raise DomainError(error.message, f"identifiers.{index}.{error.field or 'value'}") from None
        if raw.get("location") is not None:
            normalised["location"] = _address_location(raw["location"], normalised["type"], f"identifiers.{index}")
        if normalised not in seen:
            seen.append(normalised)
    return seen


def with_new_date_of_birth(identifiers: list[dict[str, Any]], dob: str | None) -> list[dict[str, Any]]:
    """A person's name-and-date-of-birth identifiers re-keyed to a corrected date of birth."""
    rekeyed = []
    for identifier in identifiers:
        if identifier["type"] == "name_dob":
            if dob is None:
                continue  # without a date of birth a name-and-date identifier no longer exists
            identifier = dict(identifier, value=f"{identifier['value'].split('|', 1)[0]}|{dob}")
        rekeyed.append(identifier)
    return rekeyed


def _address_location(value: Any, type_: str, field: str) -> dict[str, float]:
    """Where a target address is, so that operations within 50 m of it are told (DOMAIN.md §2, E4)."""
    if type_ != "address":
        raise DomainError("only an address has a location", f"{field}.location")
    place = rules.location(value, f"{field}.location")
    if place is None or place["lat"] is None:
        raise DomainError("give lat and lon", f"{field}.location")
    return {"lat": float(place["lat"]), "lon": float(place["lon"])}
