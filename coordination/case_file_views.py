"""The prosecution file as each reader sees it: what another partner put into the case is counted, not named
(the third agency rule), as everywhere else a case is read."""

from __future__ import annotations

from typing import Any

from coordination.history import who
from domain.case_file import CaseFile
from domain.investigation import Investigation
from domain.sharing import sees_contribution


def case_file_view(inv: Investigation, file: CaseFile | None) -> dict[str, Any]:
    """The whole file, as its owning agency sees it: counts with each element's support (or its gap), witnesses,
    productions and reviews."""
    if file is None:
        return {"investigation_id": inv.id, "charges": [], "witnesses": [], "productions": [], "reviews": [],
                "version": 0, "created_id": None}
    return {
        "investigation_id": inv.id,
        "charges": [{"id": charge_id, **charge, "defendants_withheld": 0, "elements": [
            {**element, "index": i, "supported": bool(element["support"]), "support_withheld": 0}
            for i, element in enumerate(charge["elements"])]} for charge_id, charge in file.charges.items()],
        "witnesses": [{"id": witness_id, **witness} for witness_id, witness in file.witnesses.items()],
        "productions": [{"id": production_id, **production} for production_id, production in file.productions.items()],
        "reviews": [{**review, "by": who(review["by"])} for review in file.reviews],
        "version": file.version,
        "created_id": None,
    }


def as_seen_by(view: dict[str, Any], inv: Investigation, agency: str, authors: dict[str, str]) -> dict[str, Any]:
    """`view` for a reader of `agency`: support, defendants, produced records and reviews that concern another
    partner are left out (and counted), a witness's agency likewise. `authors`: the agency of each produced record."""
    owner = inv.owning_agency
    if agency == owner:
        return view

    def seen(author: str | None) -> bool:
        return author is None or sees_contribution(agency, owner, author)

    def subject_agency(subject_id: str) -> str:
        return inv.subjects.get(subject_id, {}).get("agency", owner)

    return {
        **view,
        "charges": [{**charge, **_kept(charge["defendants"], lambda s: seen(subject_agency(s)), "defendants"),
                     "elements": [{**element, **_kept(element["support"], lambda s: seen(s.get("agency")), "support")}
                                  for element in charge["elements"]]} for charge in view["charges"]],
        "witnesses": [{**w, "agency": w["agency"] if seen(w["agency"]) else None} for w in view["witnesses"]],
        "productions": [{**p, "record_ids": [r for r in p["record_ids"] if seen(authors.get(r, owner))]}
                        for p in view["productions"]],
        "reviews": [review for review in view["reviews"] if seen(review["agency"])],
    }


def _kept(items: list[Any], visible: Any, name: str) -> dict[str, Any]:
    kept = [item for item in items if visible(item)]
    return {name: kept, f"{name}_withheld": len(items) - len(kept)}
