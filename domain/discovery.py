"""Discovery productions in their stored form: what was produced, to whom, when, and under which Bates numbers."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID

from domain import rules
from domain.errors import DomainError

MAX_RECORDS = 500
_FIELDS = ("description", "produced_to", "produced_at", "bates_start", "bates_end", "record_ids")
# A Bates number is a prefix that ends in a letter, hyphen or underscore, then the page number: "HSI-000123".
# Since the prefix cannot end in a digit, the page number is exactly the trailing digits. ASCII only and
# fullmatch, so that no look-alike digit or trailing newline passes.
_BATES = re.compile(r"(?P<prefix>[A-Z0-9_-]{0,19}[A-Z_-])(?P<number>[0-9]{1,10})", re.ASCII)


def checked_production(value: Any, today: date) -> dict[str, Any]:
    """A production as stored, with the number of pages its Bates range covers."""
    production = rules.fields_of(value, _FIELDS)
    start_stamp, start_prefix, start = _bates(production.get("bates_start"), "bates_start")
    end_stamp, end_prefix, end = _bates(production.get("bates_end"), "bates_end")
    if end_prefix != start_prefix:
        raise DomainError(f"must have the same prefix as bates_start ({start_prefix})", "bates_end")
    if end < start:
        raise DomainError("must not come before bates_start", "bates_end")
    if production.get("produced_at") is None:
        raise DomainError("must be a date as YYYY-MM-DD", "produced_at")
    return {
        "description": rules.text(production.get("description"), "description", max_len=2000),
        "produced_to": rules.text(production.get("produced_to"), "produced_to", max_len=300),
        "produced_at": rules.past_date(production["produced_at"], "produced_at", today),
        "bates_start": start_stamp,
        "bates_end": end_stamp,
        "pages": end - start + 1,
        "record_ids": _record_ids(production.get("record_ids")),
    }


def overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two stored productions share a Bates number: the second reused numbers already produced."""
    (a_prefix, a_start, a_end), (b_prefix, b_start, b_end) = _range(a), _range(b)
    return a_prefix == b_prefix and a_start <= b_end and b_start <= a_end


def _range(production: dict[str, Any]) -> tuple[str, int, int]:
    _, prefix, start = _bates(production["bates_start"], "bates_start")
    return prefix, start, _bates(production["bates_end"], "bates_end")[2]


def _bates(value: Any, field: str) -> tuple[str, str, int]:
    """The stamp, its prefix and its page number."""
    # Stamps are upper case; "hsi-000123" is the same stamp typed loosely, and must collide with "HSI-000123".
    # ASCII is checked before upper-casing, since a dotless i (U+0131) upper-cases to "I".
    ascii_ = isinstance(value, str) and value.isascii()
    match = _BATES.fullmatch(value.strip().upper()) if ascii_ else None
    if match is None:
        raise DomainError("must be a Bates number such as HSI-000123", field)
    return match[0], match["prefix"], int(match["number"])


def _record_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_RECORDS:
        raise DomainError(f"must be a list of at most {MAX_RECORDS} record ids", "record_ids")
    ids = []
    for i, record_id in enumerate(value):
        try:
            ids.append(str(UUID(record_id)))
        except (TypeError, ValueError, AttributeError):
            raise DomainError("must be a record id (a UUID)", f"record_ids.{i}") from None
    return list(dict.fromkeys(ids))  # a record listed twice was still produced once
