"""Target deconfliction rules (DOMAIN.md §2): exact matches of normalised identifiers, by keyed digest.

Two investigations that registered one identifier conflict (medium); two operations of different
investigations after subjects sharing an identifier conflict while both run (E3, high); an operation within
50 m of an address another investigation registered (E4, medium). Registrations lapse after 24 months.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from domain.deconfliction import TARGET_ADDRESS_M, Finding, overlap
from domain.geo import path_distance_m
from domain.name_match import POSSIBLE_MATCH_THRESHOLD

REGISTRATION_LIFETIME = timedelta(days=730)  # published: SAFETNet


def match_key(identifier: Mapping[str, Any]) -> str:
    """What two identifiers must share to be one target: type and normalised value, and the country where
    the value alone is not unique (a passport, a plate, a company number). A phone's country only told how to
    read it: +17865551234 is the same phone whichever country it was typed with."""
    country = identifier.get("country") if identifier["type"] in ("passport", "vehicle_plate",
                                                                   "company_registration") else None
    return f"{identifier['type']}|{identifier['value']}|{country or ''}"


def identifier_digest(key: bytes, identifier: Mapping[str, Any]) -> str:
    """The keyed digest the index is kept under: without the key nobody can test a value against it."""
    return hmac.new(key, match_key(identifier).encode(), hashlib.sha256).hexdigest()


def registration(
    *, ref: str, investigation_id: str, agency: str, number: str, point_of_contact: Mapping[str, Any],
    identifier_type: str, now: datetime, location: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """A subject's identifier as the index keeps it: who registered it, whom to call, until when."""
    entry: dict[str, Any] = {
        "ref": ref, "role": "registration", "investigation_id": investigation_id, "agency": agency,
        "deconfliction_number": number, "point_of_contact": dict(point_of_contact), "type": identifier_type,
        "registered_at": now, "expires_at": now + REGISTRATION_LIFETIME,
    }
    if location is not None:
        entry["path"] = [[location["lat"], location["lon"]]]
    return entry


def identifier_match(mine: Mapping[str, Any], other: Mapping[str, Any], now: datetime) -> Finding | None:
    """Two registrations of one identifier by different investigations, the other not lapsed."""
    if other.get("role") != "registration" or other["investigation_id"] == mine["investigation_id"]:
        return None
    if other["expires_at"] <= now:
        return None
    return Finding("identifier", "medium")


def subject_match(mine: Mapping[str, Any], other: Mapping[str, Any]) -> Finding | None:
    """E3: two operations of different investigations after one identifier, their padded windows overlapping."""
    if other.get("role") != "operation" or other["investigation_id"] == mine["investigation_id"]:
        return None
    when = overlap(mine, other)
    return Finding("event_subject", "high", overlap=when) if when is not None else None


def address_match(operation: Mapping[str, Any], target: Mapping[str, Any], now: datetime) -> Finding | None:
    """E4: an operation within 50 m of an address another investigation registered as a target."""
    if target.get("role") != "registration" or target["investigation_id"] == operation["investigation_id"]:
        return None
    if target["expires_at"] <= now or "path" not in target:
        return None
    points = [(p[0], p[1]) for p in operation["path"]]
    distance = path_distance_m(points, [(target["path"][0][0], target["path"][0][1])])
    return Finding("target_address", "medium", round(distance)) if distance <= TARGET_ADDRESS_M else None


def name_blocks(folded: str) -> list[str]:
    """The blocks a folded person's name is indexed under for possible matches: first initial with the last
    word, and the other way round, so that reordered names ("GARCIA JOSE") meet as well as variants."""
    words = folded.split()
    if not words:
        return []
    first, last = words[0], words[-1]
    return sorted({f"{first[0]}|{last}", f"{last[0]}|{first}"})


def name_match(mine: Mapping[str, Any], other: Mapping[str, Any], similarity: float, now: datetime) -> Finding | None:
    """A name alike enough for a person to look at (never an automatic notification): low, coordinators only."""
    if other.get("role") != "name" or other["investigation_id"] == mine["investigation_id"]:
        return None
    if other["expires_at"] <= now or similarity < POSSIBLE_MATCH_THRESHOLD:
        return None
    return Finding("identifier", "low")
