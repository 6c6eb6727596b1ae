"""Proposed charges: U.S. Code citations in one canonical shape, and the elements each statute needs proved."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from domain import rules
from domain.errors import DomainError

MAX_CITATION = 100
MAX_ELEMENTS = 20
CITATION_MESSAGE = "must be a U.S. Code citation such as 8 U.S.C. 1324(a)(1)(A)(ii)"
# How agents type citations: "8 usc 1324(a)", "8 U.S.C. § 1324(a)", "21 USC 841(a)(1)". ASCII only, so that a
# look-alike digit or letter cannot slip into a citation; fullmatch, so that nothing trails it (not even "\n").
_CITATION = re.compile(
    r"(?P<title>[1-9][0-9]?)\s*U\.?\s*S\.?\s*C\.?\s*(?:§+\s*)?"
    r"(?P<section>[1-9][0-9]*[A-Za-z]{0,3})\s*(?P<subsections>(?:\([A-Za-z0-9]{1,8}\))*)",
    re.ASCII | re.IGNORECASE,
)
_TITLES = range(1, 55)  # the U.S. Code has 54 titles


@dataclass(frozen=True)
class Statute:
    """A statute of the catalogue: its canonical citation, its title and the elements a jury must find."""

    citation: str
    title: str
    elements: tuple[str, ...]


def citation(value: Any, field: str) -> str:
    """A U.S. Code citation in canonical form: "<title> U.S.C. <section><subsections>"."""
    if not isinstance(value, str) or len(value) > MAX_CITATION:
        raise DomainError(CITATION_MESSAGE, field)
    match = _CITATION.fullmatch(value.strip())
    if match is None or int(match["title"]) not in _TITLES:
        raise DomainError(CITATION_MESSAGE, field)
    # Case is kept in the section and subsections: 8 U.S.C. 1324a and 18 U.S.C. 2252A are both real, and
    # (a) and (A) are different levels of a section.
    return f"{int(match['title'])} U.S.C. {match['section']}{match['subsections']}"


def catalogued(citation: str) -> Statute | None:
    """The catalogue's statute for a canonical citation, matched on title and section (subsections ignored)."""
    return _BY_SECTION.get(citation.split("(", 1)[0])


def elements_of(statute_citation: str, elements: Any, field: str) -> list[str]:
    """The elements a proposed charge must prove: those typed in, else the catalogue's for its statute."""
    if elements is None or elements == []:
        statute = catalogued(statute_citation)
        if statute is None:
            raise DomainError(f"{statute_citation} is not in the catalogue: type in the elements it needs proved",
                              field)
        return list(statute.elements)
    if not isinstance(elements, list) or len(elements) > MAX_ELEMENTS:
        raise DomainError(f"must be a list of 1 to {MAX_ELEMENTS} elements", field)
    return [rules.text(element, f"{field}.{i}", max_len=500) for i, element in enumerate(elements)]


def _load() -> tuple[Statute, ...]:
    # Reading a file shipped inside the package is deterministic: the same code always reads the same catalogue,
    # so loading it at import keeps the domain pure (no I/O while deciding anything).
    data = tomllib.loads(files("domain").joinpath("statutes.toml").read_text(encoding="utf-8"))
    return tuple(Statute(citation(entry["citation"], "statutes.toml"), entry["title"], tuple(entry["elements"]))
                 for entry in data["statute"])


CATALOGUE: tuple[Statute, ...] = _load()
_BY_SECTION = {statute.citation.split("(", 1)[0]: statute for statute in CATALOGUE}
