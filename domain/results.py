"""What a completed operation achieved: arrests, seizures, victims, assets for forfeiture, in their stored form.

Amounts and weights are decimal strings, never floats (a float cannot hold 12500.10); currencies are ISO 4217
codes as pycountry knows them; counts are non-negative integers. Every part is optional.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry

from domain import rules
from domain.errors import DomainError

SEIZURE_KINDS = ("currency", "drugs", "weapons", "vehicles", "documents", "other")
COUNTED_SEIZURES = ("weapons", "vehicles", "documents", "other")
FORFEITURE_PATHS = ("administrative", "civil_judicial", "criminal")
MAX_ITEMS = 200  # seizures or forfeiture actions of one operation
_PARTS = ("arrests", "seizures", "victims", "forfeiture")


def checked_results(value: Any, subject_ids: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The results as stored; `subject_ids` are the investigation's subjects an arrest may name."""
    if value is None:
        return {}
    results = rules.fields_of(value, _PARTS, "results")
    checked: dict[str, Any] = {}
    if results.get("arrests") is not None:
        checked["arrests"] = _arrests(results["arrests"], subject_ids)
    if results.get("seizures") is not None:
        checked["seizures"] = [_seizure(s, f"results.seizures.{i}")
                               for i, s in enumerate(_list(results["seizures"], "results.seizures"))]
    if results.get("victims") is not None:
        victims = rules.fields_of(results["victims"], ("rescued", "identified"), "results.victims")
        checked["victims"] = {k: count(victims.get(k, 0), f"results.victims.{k}") for k in ("rescued", "identified")}
    if results.get("forfeiture") is not None:
        checked["forfeiture"] = [_forfeiture(f, f"results.forfeiture.{i}")
                                 for i, f in enumerate(_list(results["forfeiture"], "results.forfeiture"))]
    return checked


def count(value: Any, field: str) -> int:
    """A non-negative whole number (true and false are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DomainError("must be a whole number, 0 or more", field)
    return value


def amount(value: Any, field: str) -> str:
    """A non-negative decimal given as a string, kept exactly as a normalised string ("12500.50")."""
    if not isinstance(value, str):
        raise DomainError('must be a decimal number written as a string, e.g. "12500.50"', field)
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise DomainError('must be a decimal number written as a string, e.g. "12500.50"', field) from None
    if not number.is_finite() or number < 0 or number.as_tuple().exponent < -6 or number >= Decimal(10) ** 15:
        raise DomainError("must be a finite amount, 0 or more, with at most 6 decimal places", field)
    return str(number)


def currency(value: Any, field: str) -> str:
    """An ISO 4217 currency code."""
    code = value.strip().upper() if isinstance(value, str) else None
    if not code or pycountry.currencies.get(alpha_3=code) is None:
        raise DomainError("must be an ISO 4217 currency code such as USD", field)
    return code


def _arrests(value: Any, subject_ids: frozenset[str]) -> dict[str, Any]:
    arrests = rules.fields_of(value, ("count", "subject_ids"), "results.arrests")
    named = [str(s) for s in _list(arrests.get("subject_ids") or [], "results.arrests.subject_ids")]
    for i, subject_id in enumerate(named):
        if subject_id not in subject_ids:
            raise DomainError("is not a subject of this investigation", f"results.arrests.subject_ids.{i}")
    total = count(arrests.get("count", len(named)), "results.arrests.count")
    if total < len(set(named)):
        raise DomainError("is fewer than the subjects named as arrested", "results.arrests.count")
    return {"count": total, "subject_ids": list(dict.fromkeys(named))}


def _seizure(value: Any, field: str) -> dict[str, Any]:
    kind = rules.one_of(value.get("kind") if isinstance(value, dict) else None, SEIZURE_KINDS, f"{field}.kind")
    if kind == "currency":
        item = rules.fields_of(value, ("kind", "amount", "currency"), field)
        return {"kind": kind, "amount": amount(item.get("amount"), f"{field}.amount"),
                "currency": currency(item.get("currency"), f"{field}.currency")}
    if kind == "drugs":
        item = rules.fields_of(value, ("kind", "substance", "grams"), field)
        return {"kind": kind, "substance": rules.text(item.get("substance"), f"{field}.substance", max_len=100).lower(),
                "grams": amount(item.get("grams"), f"{field}.grams")}
    item = rules.fields_of(value, ("kind", "count", "weapon_kind", "description"), field)
    seized = {"kind": kind, "count": count(item.get("count", 1), f"{field}.count")}
    if kind == "weapons" and item.get("weapon_kind") is not None:
        seized["weapon_kind"] = rules.text(item["weapon_kind"], f"{field}.weapon_kind", max_len=100)
    if item.get("description") is not None:
        seized["description"] = rules.text(item["description"], f"{field}.description", max_len=1000)
    return seized


def _forfeiture(value: Any, field: str) -> dict[str, Any]:
    item = rules.fields_of(value, ("asset", "value", "currency", "path", "notice_deadline"), field)
    action = {"asset": rules.text(item.get("asset"), f"{field}.asset", max_len=500),
              "path": rules.one_of(item.get("path"), FORFEITURE_PATHS, f"{field}.path")}
    if item.get("value") is not None:
        action["value"] = amount(item["value"], f"{field}.value")
        action["currency"] = currency(item.get("currency"), f"{field}.currency")
    if item.get("notice_deadline") is not None:
        action["notice_deadline"] = _date(item["notice_deadline"], f"{field}.notice_deadline")
    return action


def _date(value: Any, field: str) -> str:
    try:
        return date.fromisoformat(value).isoformat() if isinstance(value, str) else _bad_date(field)
    except ValueError:
        return _bad_date(field)


def _bad_date(field: str) -> str:
    raise DomainError("must be a date such as 2027-03-31", field)


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise DomainError(f"must be a list of at most {MAX_ITEMS}", field)
    return value


def facts_of(results: dict[str, Any]) -> list[tuple[str, str, Decimal]]:
    """What the statistics add up from stored results: (measure, item, quantity); amounts per currency code,
    grams per substance, forfeiture actions per path; counts under item ""."""
    facts: list[tuple[str, str, Decimal]] = []
    if "arrests" in results:
        facts.append(("arrests", "", Decimal(results["arrests"]["count"])))
    for seized in results.get("seizures", []):
        if seized["kind"] == "currency":
            facts.append(("currency", seized["currency"], Decimal(seized["amount"])))
        elif seized["kind"] == "drugs":
            facts.append(("drugs_grams", seized["substance"], Decimal(seized["grams"])))
        else:
            facts.append((seized["kind"], "", Decimal(seized["count"])))
    for name, count in results.get("victims", {}).items():
        facts.append((f"victims_{name}", "", Decimal(count)))
    for action in results.get("forfeiture", []):
        facts.append(("forfeiture_actions", action["path"], Decimal(1)))
        if "value" in action:
            facts.append(("forfeiture_value", action["currency"], Decimal(action["value"])))
    return facts
