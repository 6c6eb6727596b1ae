"""The EvidenceItem aggregate: an item seized or collected for a case, its chain of custody and its lab work."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import rules
from domain.aggregate import ChainedAggregate
from domain.custody import (
    checked_item,
    checked_lab_request,
    checked_lab_result,
    checked_transfer,
    custodian,
    discrepancies,
)
from domain.envelope import Envelope
from domain.errors import DomainError, StateConflict


class EvidenceItem(ChainedAggregate):
    """An item of evidence of one investigation, held by the agency that logged it, passed from hand to hand."""

    type_name = "evidence"
    references = frozenset({"investigation_id", "operation_id"})

    if TYPE_CHECKING:
        investigation_id: UUID
        operation_id: UUID | None
        owning_agency: str
        item: dict[str, Any]
        custodian: str
        location: str
        held_since: datetime
        released: bool
        transfers: list[dict[str, Any]]
        lab_requests: dict[str, dict[str, Any]]

    class Logged(ChainedAggregate.Created):
        investigation_id: UUID
        operation_id: UUID | None
        owning_agency: str
        item: dict[str, Any]
        custodian: str
        location: str

        def apply(self, evidence: EvidenceItem) -> None:
            evidence.investigation_id, evidence.operation_id = self.investigation_id, self.operation_id
            evidence.owning_agency, evidence.item = self.owning_agency, self.item
            evidence.custodian, evidence.location = self.custodian, self.location
            evidence.held_since, evidence.released = self.item["seized_at"], False
            evidence.transfers, evidence.lab_requests = [], {}

    class Transferred(ChainedAggregate.Event):
        transfer: dict[str, Any]
        discrepancies: list[dict[str, str]]

        def apply(self, evidence: EvidenceItem) -> None:
            evidence.transfers.append({**self.transfer, "discrepancies": self.discrepancies,
                                       "version": self.originator_version, "recorded_by": self.envelope["actor"]})
            evidence.custodian = self.transfer["to"]
            evidence.location = self.transfer["location"] or evidence.location
            evidence.held_since = max(evidence.held_since, self.transfer["at"])
            evidence.released = evidence.released or self.transfer["purpose"] == "release"

    class LabRequested(ChainedAggregate.Event):
        request_id: UUID
        request: dict[str, Any]

        def apply(self, evidence: EvidenceItem) -> None:
            evidence.lab_requests[str(self.request_id)] = {**self.request, "result": None}

    class LabReported(ChainedAggregate.Event):
        request_id: UUID
        result: dict[str, Any]

        def apply(self, evidence: EvidenceItem) -> None:
            evidence.lab_requests[str(self.request_id)]["result"] = self.result

    @classmethod
    def log(
        cls, *, id: UUID, investigation_id: UUID, operation_id: UUID | None, fields: dict[str, Any],  # noqa: A002
        now: datetime, envelope: Envelope,
    ) -> EvidenceItem:
        """Log an item into evidence, in the custody of its first custodian at its first location."""
        item = checked_item(fields, now)
        custodian_ = custodian(fields.get("custodian"), "custodian")
        location = rules.text(fields.get("location"), "location", max_len=300)
        return cls._start(cls.Logged, id=id, envelope=envelope, occurred_at=item["seized_at"],
                          investigation_id=investigation_id, operation_id=operation_id,
                          owning_agency=envelope.actor.agency, item=item, custodian=custodian_, location=location)

    def transfer(self, *, fields: dict[str, Any], now: datetime, envelope: Envelope) -> list[dict[str, str]]:
        """Record a hand-over, whatever it shows; returns the discrepancies it carries (none when the chain holds)."""
        transfer = checked_transfer(fields, now)
        found = discrepancies(transfer, holder=self.custodian, since=self.held_since, released=self.released)
        self._record(self.Transferred, envelope=envelope, occurred_at=transfer["at"], transfer=transfer,
                     discrepancies=found)
        return found

    def request_lab(self, *, request_id: UUID, fields: dict[str, Any], now: datetime, envelope: Envelope) -> None:
        """Ask a laboratory for an analysis of the item."""
        request = checked_lab_request(fields, now)
        self._record(self.LabRequested, envelope=envelope, occurred_at=request["requested_at"],
                     request_id=request_id, request=request)

    def report_lab(self, *, request_id: Any, fields: dict[str, Any], now: datetime, envelope: Envelope) -> None:
        """Record a laboratory's findings on one of the item's requests."""
        request = self.lab_requests.get(_uuid_text(request_id))
        if request is None:
            raise DomainError("names no lab request of this item", "request_id")
        if request["result"] is not None:
            raise StateConflict("that lab request has its result already; a correction is a new request", "request_id")
        result = checked_lab_result(fields, now, request["requested_at"])
        self._record(self.LabReported, envelope=envelope, occurred_at=result["reported_at"],
                     request_id=UUID(_uuid_text(request_id)), result=result)

    @property
    def chain_discrepancies(self) -> list[dict[str, Any]]:
        """Every break in the chain of custody, with the transfer (its version) that showed it."""
        return [{**found, "transfer_version": t["version"]} for t in self.transfers for found in t["discrepancies"]]

    def access_of(self, agency: str) -> str | None:
        """Alone, an item is its logging agency's; the use cases also let in whoever sees its investigation."""
        return "owner" if agency == self.owning_agency else None


def _uuid_text(value: Any) -> str:
    """An id as the item keeps it (lower case, with dashes), whatever way it was written; "" if it is none."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        return ""
