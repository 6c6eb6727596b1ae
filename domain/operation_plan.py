"""An operation's plan: its fields checked and put in their stored form (where, when, whom to call, whom after)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain import rules
from domain.deconfliction import DEFAULT_DURATION, MAX_WINDOW, OPERATION_KINDS
from domain.errors import DomainError
from domain.geo import path_length_m

MAX_ROUTE_POINTS = 100
# Plans are for the years around now; far dates are typing errors, and near datetime's limits padding overflows.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_ROUTE_M = 300_000  # a route longer than this is several operations
# A start this far in the past is still "now" (clocks and typing lag); before it, the plan is a late entry.
LATE_AFTER = timedelta(minutes=15)
PLAN_FIELDS = ("kind", "title", "location", "route", "starts_at", "ends_at", "point_of_contact", "undercover",
               "armed_subjects", "subject_ids")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{7,30}(\s*(x|ext\.?)\s*[0-9]{1,6})?$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def checked_plan(fields: dict[str, Any], *, now: datetime, fresh: set[str] | None = None,
                 late: bool = False) -> dict[str, Any]:
    """The plan's fields checked and in their stored form; `fresh` names those given now (default: all).

    Only a start given now is checked against the clock: an amendment of an operation under way keeps its start.
    A start in the past is a late entry's (`late`), and a late entry's start is in the past.
    """
    fresh = set(fields) if fresh is None else fresh
    kind = rules.one_of(fields.get("kind"), OPERATION_KINDS, "kind")
    location = _place(fields.get("location"), "location", with_address=True)
    route = _route(fields.get("route"))
    starts_at = _time(fields.get("starts_at"), "starts_at")
    ends_at = fields.get("ends_at")
    ends_at = starts_at + DEFAULT_DURATION if ends_at is None else _time(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise DomainError("must be after starts_at", "ends_at")
    if ends_at - starts_at > MAX_WINDOW:
        raise DomainError("an operation's window is at most 14 days; plan longer ones in parts", "ends_at")
    if "starts_at" in fresh:
        _check_clock(starts_at, ends_at, now, late)
    return {
        "kind": kind,
        "title": rules.optional_text(fields.get("title"), "title", max_len=300),
        "location": location,
        "route": route,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "point_of_contact": _point_of_contact(fields.get("point_of_contact")),
        "undercover": _flag(fields.get("undercover"), "undercover"),
        "armed_subjects": _flag(fields.get("armed_subjects"), "armed_subjects"),
        "subject_ids": _subject_ids(fields.get("subject_ids")),
    }


def _check_clock(starts_at: datetime, ends_at: datetime, now: datetime, late: bool) -> None:
    if late and starts_at > now:
        raise DomainError("a late entry records an operation that started already; plan one that has not",
                          "late_entry_reason")
    if not late and starts_at < now - LATE_AFTER:
        raise DomainError("is in the past: record an operation that started already as a late entry, with "
                          "late_entry_reason", "starts_at")
    if not late and ends_at < now:
        raise DomainError("the operation would be over already", "ends_at")


def _place(value: Any, field: str, *, with_address: bool = False) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DomainError("must be an object with lat and lon", field)
    place: dict[str, Any] = {}
    for name, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        number = value.get(name)
        if isinstance(number, bool) or not isinstance(number, (int, float)) or number != number:
            raise DomainError("must be a number", f"{field}.{name}")
        if not low <= number <= high:
            raise DomainError(f"must be between {low} and {high}", f"{field}.{name}")
        place[name] = float(number)
    if with_address:
        place["address"] = rules.optional_text(value.get("address"), f"{field}.address", max_len=300) or None
    return place


def _route(value: Any) -> list[dict[str, float]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ROUTE_POINTS:
        raise DomainError(f"must be a list of at most {MAX_ROUTE_POINTS} points", "route")
    route = [_place(point, f"route.{i}") for i, point in enumerate(value)]
    if path_length_m([(p["lat"], p["lon"]) for p in route]) > MAX_ROUTE_M:
        raise DomainError(f"a route is at most {MAX_ROUTE_M // 1000} km; plan longer ones in parts", "route")
    return route


def _time(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise DomainError("must be an RFC 3339 time", field) from None
    if not isinstance(value, datetime):
        raise DomainError("must be an RFC 3339 time", field)
    if value.tzinfo is None:
        raise DomainError("must carry a time zone", field)
    value = value.astimezone(UTC)
    if not EARLIEST <= value <= LATEST:
        raise DomainError(f"must be between {EARLIEST.year} and {LATEST.year}", field)
    return value


def _point_of_contact(value: Any) -> dict[str, Any]:
    field = "point_of_contact"
    if not isinstance(value, dict):
        raise DomainError("must be an object with name and phone", field)
    phone = rules.text(value.get("phone"), f"{field}.phone", max_len=40)
    if not _PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < 7:
        raise DomainError("must be a phone number the other side can call", f"{field}.phone")
    email = value.get("email")
    if email is not None and (not isinstance(email, str) or not _EMAIL.fullmatch(email) or len(email) > 254):
        raise DomainError("must be an email address", f"{field}.email")
    return {"name": rules.text(value.get("name"), f"{field}.name", max_len=200), "phone": phone,
            "email": email.lower() if email else None}


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise DomainError("must be true or false", field)
    return value


def _subject_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 50:
        raise DomainError("must be a list of at most 50 subject ids", "subject_ids")
    ids: list[str] = []
    for index, raw in enumerate(value):
        try:
            subject_id = str(UUID(str(raw)))
        except ValueError:
            raise DomainError("must be a subject id", f"subject_ids.{index}") from None
        if subject_id not in ids:
            ids.append(subject_id)
    return ids
