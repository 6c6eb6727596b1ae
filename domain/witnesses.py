"""A case's witnesses in their stored form: who they are, what they will say, and what may impeach them."""

from __future__ import annotations

from typing import Any

from domain import rules
from domain.errors import DomainError

WITNESS_KINDS = ("law_enforcement", "civilian", "cooperator", "expert")
# Giglio material (Giglio v. United States, 1972, extending Brady): anything that could impeach a government
# witness's credibility, which the prosecution must find across every partner agency and disclose to the defence.
# A closed vocabulary, so that a prosecutor's Giglio review can list every flagged witness by what to look at.
GIGLIO_FLAGS = (
    "prior_conviction",
    "pending_charges",
    "cooperation_agreement",  # a plea or cooperation agreement with the government
    "paid_informant",
    "benefit_received",  # anything of value besides pay: relocation, dropped charges, a lighter sentence
    "immigration_benefit",  # e.g. a T or S visa, deferred action, parole: common in trafficking and smuggling cases
    "prior_inconsistent_statement",
    "credibility_finding",  # a court found the witness not credible
    "misconduct_finding",  # a sustained finding of misconduct against an officer (Henthorn)
    "bias",
)
IMMUNITY = ("none", "informal", "use", "transactional")
MAX_PROMISES = 20
MAX_FLAGS = 20  # more than the vocabulary, so that a repeated flag is merged, not refused
_FIELDS = ("name", "kind", "agency", "anticipated_testimony", "promises", "immunity", "giglio_flags",
           "giglio_note")


def checked_witness(value: Any) -> dict[str, Any]:
    """A witness as stored, every field present; an officer's agency is required."""
    witness = rules.fields_of(value, _FIELDS)
    kind = rules.one_of(witness.get("kind"), WITNESS_KINDS, "kind")
    agency = witness.get("agency")
    if agency is None and kind == "law_enforcement":
        raise DomainError("a law-enforcement witness needs their agency", "agency")
    return {
        "name": rules.text(witness.get("name"), "name", max_len=200),
        "kind": kind,
        "agency": None if agency is None else rules.agency_code(agency, "agency"),
        "anticipated_testimony": rules.text(witness.get("anticipated_testimony"), "anticipated_testimony",
                                            max_len=5000),
        "promises": [rules.text(promise, f"promises.{i}", max_len=1000)
                     for i, promise in enumerate(_list(witness.get("promises"), "promises", MAX_PROMISES))],
        "immunity": rules.one_of("none" if witness.get("immunity") is None else witness["immunity"], IMMUNITY,
                                 "immunity"),
        # Flagging the same thing twice says nothing more; the first mention keeps its place.
        "giglio_flags": list(dict.fromkeys(
            rules.one_of(flag, GIGLIO_FLAGS, f"giglio_flags.{i}")
            for i, flag in enumerate(_list(witness.get("giglio_flags"), "giglio_flags", MAX_FLAGS)))),
        "giglio_note": rules.optional_text(witness.get("giglio_note"), "giglio_note", max_len=2000),
    }


def impeachable(witness: dict[str, Any]) -> bool:
    """Whether a stored witness has something the defence must be told: a Giglio flag, a promise or immunity."""
    return bool(witness["giglio_flags"] or witness["promises"] or witness["immunity"] != "none")


def _list(value: Any, field: str, most: int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > most:
        raise DomainError(f"must be a list of at most {most}", field)
    return value
