"""Natural keys mapped to aggregate ids with uuid5, so that the store enforces their uniqueness."""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("6f1c2a4e-8b7d-5e3f-9a21-4c0d7e5b9f10")


def investigation_id(case_number: str) -> UUID:
    """The id of the case with this case number: one case per number, enforced by the store."""
    return uuid5(NAMESPACE, f"investigation:{case_number}")


def case_sequence_id(agency: str, year: int) -> UUID:
    """The id of the counter of an agency's case numbers in a year."""
    return uuid5(NAMESPACE, f"case-sequence:{agency}:{year}")


def idempotency_id(agency: str, key: str) -> UUID:
    """The id of the record of an agency's request sent with this Idempotency-Key."""
    return uuid5(NAMESPACE, f"idempotency:{agency}:{key}")
