"""Evidence and its chain of custody (DOMAIN.md §3, item 4): what an item is, and what a transfer must show.

A transfer that breaks the chain (handed over by someone who did not hold it, a broken seal, dated before the
transfer it follows) is recorded all the same, with its discrepancies: refusing it would hide from the prosecutor
exactly what the defence will ask about.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from domain import rules
from domain.errors import DomainError
from domain.results import amount, count, currency

EVIDENCE_KINDS = ("physical", "digital", "document", "currency")
PURPOSES = ("storage", "lab", "court", "review", "release")
DISCREPANCIES = ("not_from_custodian", "seal_broken", "out_of_order", "after_release")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def checked_item(fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An evidence item as stored: its kind's own fields checked, the rest left out."""
    kind = rules.one_of(fields.get("kind"), EVIDENCE_KINDS, "kind")
    item: dict[str, Any] = {
        "description": rules.text(fields.get("description"), "description", max_len=2000),
        "kind": kind,
        "seized_at": rules.occurred_at(fields.get("seized_at"), now, "seized_at"),
        "seized_from": rules.optional_text(fields.get("seized_from"), "seized_from", max_len=300) or None,
        "seal_number": rules.optional_text(fields.get("seal_number"), "seal_number", max_len=100) or None,
        "quantity": None, "amount": None, "currency": None, "sha256": None,
    }
    if fields.get("quantity") is not None:
        if count(fields["quantity"], "quantity") < 1:
            raise DomainError("must be 1 or more", "quantity")
        item["quantity"] = fields["quantity"]
    if kind == "currency" or fields.get("amount") is not None:
        if kind != "currency":
            raise DomainError("an amount goes with evidence of kind currency", "amount")
        item["amount"] = amount(fields.get("amount"), "amount")
        item["currency"] = currency(fields.get("currency"), "currency")
    elif fields.get("currency") is not None:
        raise DomainError("a currency goes with evidence of kind currency", "currency")
    if fields.get("sha256") is not None:
        item["sha256"] = _digest(fields["sha256"], kind)
    return item


def _digest(value: Any, kind: str) -> str:
    if kind != "digital":
        raise DomainError("a SHA-256 digest goes with digital evidence", "sha256")
    digest = value.strip().lower() if isinstance(value, str) else ""
    if not _SHA256.fullmatch(digest):
        raise DomainError("must be a SHA-256 digest: 64 hexadecimal digits", "sha256")
    return digest


def custodian(value: Any, field: str) -> str:
    """Who holds an item: a named person or unit (a transfer to nobody is refused)."""
    return rules.text(value, field, max_len=200)


def checked_transfer(fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A hand-over as stored: from, to, when, why, the seal's state and the item's condition."""
    seal_intact = fields.get("seal_intact")
    if not isinstance(seal_intact, bool):
        raise DomainError("must be true or false", "seal_intact")
    return {
        "from": custodian(fields.get("from"), "from"),
        "to": custodian(fields.get("to"), "to"),
        "at": rules.occurred_at(fields.get("at"), now, "at"),
        "purpose": rules.one_of(fields.get("purpose"), PURPOSES, "purpose"),
        "seal_intact": seal_intact,
        "condition": rules.optional_text(fields.get("condition"), "condition", max_len=1000) or None,
        "location": rules.optional_text(fields.get("location"), "location", max_len=300) or None,
    }


def discrepancies(transfer: dict[str, Any], *, holder: str, since: datetime, released: bool) -> list[dict[str, str]]:
    """What breaks the chain in a transfer from the item's present `holder`, who has held it `since`."""
    found = []
    if _person(transfer["from"]) != _person(holder):
        found.append({"kind": "not_from_custodian",
                      "detail": f"handed over by {transfer['from']}, but {holder} held the item"})
    if not transfer["seal_intact"]:
        found.append({"kind": "seal_broken", "detail": "the seal was not intact at the hand-over"})
    if transfer["at"] < since:
        found.append({"kind": "out_of_order",
                      "detail": f"dated {transfer['at'].isoformat()}, before the custody it follows "
                                f"({since.isoformat()})"})
    if released:
        found.append({"kind": "after_release", "detail": "the item had been released from custody"})
    return found


def _person(name: str) -> str:
    # Two entries of the same custodian differ in case and spacing ("SA  Moreno" / "sa moreno"), not in fact.
    return " ".join(name.casefold().split())


def checked_lab_request(fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A request to a laboratory: which lab, what analysis, when asked."""
    return {"lab": rules.text(fields.get("lab"), "lab", max_len=200),
            "analysis": rules.text(fields.get("analysis"), "analysis", max_len=2000),
            "requested_at": rules.occurred_at(fields.get("requested_at"), now, "requested_at")}


def checked_lab_result(fields: dict[str, Any], now: datetime, requested_at: datetime) -> dict[str, Any]:
    """A laboratory's report on a request: its findings, by whom, when (not before it was asked)."""
    reported_at = rules.occurred_at(fields.get("reported_at"), now, "reported_at")
    if reported_at < requested_at:
        raise DomainError("must not be before the request was made", "reported_at")
    return {"findings": rules.text(fields.get("findings"), "findings", max_len=10_000),
            "analyst": rules.optional_text(fields.get("analyst"), "analyst", max_len=200) or None,
            "reported_at": reported_at}
