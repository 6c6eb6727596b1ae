"""Checks on the values that commands carry: text lengths, times, places, agency codes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.errors import DomainError

FUTURE_TOLERANCE = timedelta(minutes=5)
# Use fullmatch: with .match, the `$` also matches before a trailing newline, so "HSI\n" would pass.
AGENCY_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,15}(-[A-Z0-9]{1,15})?$")


def text(value: Any, field: str, *, min_len: int = 1, max_len: int = 300) -> str:
    """A trimmed string between min_len and max_len characters."""
    if not isinstance(value, str):
        raise DomainError("must be a string", field)
    value = value.strip()
    if len(value) < min_len:
        raise DomainError("must not be empty" if min_len == 1 else f"needs at least {min_len} characters", field)
    if len(value) > max_len:
        raise DomainError(f"must be at most {max_len} characters", field)
    return value


def optional_text(value: Any, field: str, *, max_len: int) -> str:
    """A trimmed string of at most max_len characters; empty when not given."""
    return "" if value is None else text(value, field, min_len=0, max_len=max_len)


def one_of(value: Any, allowed: tuple[str, ...], field: str) -> str:
    """A value from a closed vocabulary."""
    if value not in allowed:
        raise DomainError(f"must be one of: {', '.join(allowed)}", field)
    return str(value)


def occurred_at(value: datetime | None, now: datetime, field: str = "occurred_at") -> datetime:
    """When something happened: defaults to now, never more than five minutes ahead of now."""
    if value is None:
        return now
    if value.tzinfo is None:
        raise DomainError("must carry a time zone", field)
    if value > now + FUTURE_TOLERANCE:
        raise DomainError("must not be more than 5 minutes in the future", field)
    return value.astimezone(UTC)


def location(value: dict[str, Any] | None, field: str = "location") -> dict[str, Any] | None:
    """A place given by coordinates, a name, or both."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DomainError("must be an object with lat, lon and/or place", field)
    lat, lon = value.get("lat"), value.get("lon")
    for name, number in (("lat", lat), ("lon", lon)):
        if number is not None and (isinstance(number, bool) or not isinstance(number, (int, float))
                                   or number != number):
            raise DomainError("must be a number", f"{field}.{name}")
    if (lat is None) != (lon is None):
        raise DomainError("lat and lon go together", f"{field}.{'lon' if lon is None else 'lat'}")
    if lat is not None and not -90 <= lat <= 90:
        raise DomainError("must be between -90 and 90", f"{field}.lat")
    if lon is not None and not -180 <= lon <= 180:
        raise DomainError("must be between -180 and 180", f"{field}.lon")
    place = optional_text(value.get("place"), f"{field}.place", max_len=300)
    if lat is None and not place:
        raise DomainError("give lat and lon, a place, or both", field)
    return {"lat": lat, "lon": lon, "place": place or None}


def past_date(value: str | None, field: str, today: date) -> str | None:
    """An ISO date (YYYY-MM-DD) that is not in the future."""
    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise DomainError("must be a date as YYYY-MM-DD", field) from None
    if parsed > today:
        raise DomainError("must not be in the future", field)
    return parsed.isoformat()


def agency_code(value: Any, field: str = "agency") -> str:
    """An agency code such as HSI or TCIU-EC."""
    if not isinstance(value, str) or not AGENCY_CODE.fullmatch(value):
        raise DomainError("must be an agency code such as HSI, DEA or TCIU-EC", field)
    return value


def fields_of(value: Any, known: tuple[str, ...], field: str | None = None) -> dict[str, Any]:
    """An object with only `known` fields (an unknown one is named, under `field` when the object is nested)."""
    if not isinstance(value, dict):
        raise DomainError("must be an object", field)
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise DomainError(f"not a field here: {', '.join(unknown)}", f"{field}.{unknown[0]}" if field else unknown[0])
    return value
