"""The CaseFile aggregate: what a case needs to go to court (DOMAIN.md §3): proposed charges and the support of
each of their elements, witnesses, discovery productions, and the disclosure reviews of every agency."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import rules
from domain.aggregate import ChainedAggregate
from domain.discovery import checked_production, overlaps
from domain.envelope import Envelope
from domain.errors import DomainError
from domain.statutes import catalogued, citation, elements_of
from domain.witnesses import checked_witness

SUPPORT_KINDS = ("evidence", "witness", "action")  # what proves an element: an item, a witness, a logged action
REVIEW_KINDS = ("jencks", "brady_giglio")  # statements and agent notes collected; impeachment material reviewed
MAX_DEFENDANTS = 50


class CaseFile(ChainedAggregate):
    """The prosecution file of one investigation, kept by its owning agency."""

    type_name = "case_file"
    references = frozenset({"investigation_id"})

    if TYPE_CHECKING:
        investigation_id: UUID
        owning_agency: str
        charges: dict[str, dict[str, Any]]
        witnesses: dict[str, dict[str, Any]]
        productions: dict[str, dict[str, Any]]
        reviews: list[dict[str, Any]]

    class Started(ChainedAggregate.Created):
        investigation_id: UUID
        owning_agency: str

        def apply(self, file: CaseFile) -> None:
            file.investigation_id, file.owning_agency = self.investigation_id, self.owning_agency
            file.charges, file.witnesses, file.productions, file.reviews = {}, {}, {}, []

    class ChargeProposed(ChainedAggregate.Event):
        charge_id: UUID
        charge: dict[str, Any]

        def apply(self, file: CaseFile) -> None:
            # A copy down to each element's support: supporting one must never change this event's own data.
            elements = [{**e, "support": list(e["support"])} for e in self.charge["elements"]]
            file.charges[str(self.charge_id)] = {**self.charge, "elements": elements,
                                                 "version": self.originator_version}

    class ElementSupported(ChainedAggregate.Event):
        charge_id: UUID
        element: int
        support: dict[str, Any]

        def apply(self, file: CaseFile) -> None:
            file.charges[str(self.charge_id)]["elements"][self.element]["support"].append(self.support)

    class WitnessAdded(ChainedAggregate.Event):
        witness_id: UUID
        witness: dict[str, Any]

        def apply(self, file: CaseFile) -> None:
            file.witnesses[str(self.witness_id)] = self.witness

    class ProductionLogged(ChainedAggregate.Event):
        production_id: UUID
        production: dict[str, Any]
        overlapping: list[str]  # earlier productions whose Bates numbers it reuses: a discovery error to see

        def apply(self, file: CaseFile) -> None:
            file.productions[str(self.production_id)] = {**self.production, "overlapping": self.overlapping}

    class DisclosureReviewed(ChainedAggregate.Event):
        review: dict[str, Any]

        def apply(self, file: CaseFile) -> None:
            file.reviews.append({**self.review, "by": self.envelope["actor"], "at": self.occurred_at})

    @classmethod
    def start(cls, *, id: UUID, investigation_id: UUID, owning_agency: str, envelope: Envelope) -> CaseFile:  # noqa: A002
        """Open the file of a case, owned by the case's owning agency."""
        return cls._start(cls.Started, id=id, envelope=envelope, investigation_id=investigation_id,
                          owning_agency=owning_agency)

    def propose_charge(self, *, charge_id: UUID, statute: Any, elements: Any, defendants: Any,
                       subjects: dict[str, dict[str, Any]], envelope: Envelope) -> None:
        """Propose a count: a statute (the catalogue's elements, or typed in) against subjects of the case."""
        cited = citation(statute, "statute")
        known = catalogued(cited)
        charge = {"statute": cited, "title": known.title if known else None,
                  "elements": [{"element": e, "support": []} for e in elements_of(cited, elements, "elements")],
                  "defendants": _defendants(defendants, subjects)}
        self._record(self.ChargeProposed, envelope=envelope, charge_id=charge_id, charge=charge)

    def support(self, *, charge_id: Any, element: Any, kind: Any, ref: str, author: str, note: Any,
                envelope: Envelope) -> None:
        """Name what proves one element of a count: `ref` is a record of this case (the use case checks it) that
        `author`'s agency put in, kept so that readers who may not see that agency's contributions do not see it."""
        charge = self.charges.get(str(charge_id))
        if charge is None:
            raise DomainError("names no charge of this case", "charge_id")
        if isinstance(element, bool) or not isinstance(element, int) or not 0 <= element < len(charge["elements"]):
            raise DomainError(f"must be the index of one of the charge's {len(charge['elements'])} elements",
                              "element")
        support = {"kind": rules.one_of(kind, SUPPORT_KINDS, "kind"), "ref": ref, "agency": author,
                   "note": rules.optional_text(note, "note", max_len=2000) or None}
        self._record(self.ElementSupported, envelope=envelope, charge_id=UUID(str(charge_id)), element=element,
                     support=support)

    def add_witness(self, *, witness_id: UUID, fields: Any, envelope: Envelope) -> None:
        """Add a witness with what they are expected to say and what the defence must be told about them."""
        self._record(self.WitnessAdded, envelope=envelope, witness_id=witness_id, witness=checked_witness(fields))

    def log_production(self, *, production_id: UUID, fields: Any, today: date, envelope: Envelope) -> list[str]:
        """Log a discovery production; returns the earlier productions whose Bates numbers it reuses (kept and
        shown, since what was produced was produced)."""
        production = checked_production(fields, today)
        overlapping = [pid for pid, earlier in self.productions.items() if overlaps(earlier, production)]
        self._record(self.ProductionLogged, envelope=envelope, production_id=production_id, production=production,
                     overlapping=overlapping)
        return overlapping

    def review_disclosure(self, *, kind: Any, agency: Any, note: Any, envelope: Envelope) -> None:
        """Record that an agency's files were reviewed for Jencks statements or for Brady/Giglio material."""
        review = {"kind": rules.one_of(kind, REVIEW_KINDS, "kind"), "agency": rules.agency_code(agency, "agency"),
                  "note": rules.optional_text(note, "note", max_len=2000) or None}
        self._record(self.DisclosureReviewed, envelope=envelope, review=review)

    def access_of(self, agency: str) -> str | None:
        """Alone, the file is its case owner's; the use cases let in whoever sees the case."""
        return "owner" if agency == self.owning_agency else None


def _defendants(value: Any, subjects: dict[str, dict[str, Any]]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_DEFENDANTS:
        raise DomainError(f"must be a list of at most {MAX_DEFENDANTS} subjects of the case", "defendants")
    for i, subject_id in enumerate(value):
        if str(subject_id) not in subjects:
            raise DomainError("is not a subject of this investigation", f"defendants.{i}")
    return list(dict.fromkeys(str(s) for s in value))
