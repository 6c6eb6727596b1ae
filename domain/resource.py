"""Resources agencies commit to operations (teams, vehicles, aircraft, ...) and the requests operations make."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import rules
from domain.aggregate import ChainedAggregate
from domain.envelope import Envelope
from domain.errors import DomainError, NotPermitted, StateConflict

RESOURCE_KINDS = ("team", "vehicle", "aircraft", "vessel", "k9", "tactical_team", "tciu_unit", "interpreter")
PERSONNEL = "personnel"  # a head count of an agency's people, not a named resource
REQUEST_STATUSES = ("requested", "committed", "declined")
MAX_HEADCOUNT = 1000


class Resource(ChainedAggregate):
    """A named resource of one agency; every agency may see it, so that operations may ask for it."""

    type_name = "resource"

    if TYPE_CHECKING:
        kind: str
        name: str

    class Registered(ChainedAggregate.Created):
        kind: str
        name: str
        owning_agency: str

        def apply(self, resource: Resource) -> None:
            resource.kind, resource.name, resource.owning_agency = self.kind, self.name, self.owning_agency

    @classmethod
    def register(cls, *, id: UUID, kind: Any, name: Any, agency: str, envelope: Envelope) -> Resource:  # noqa: A002
        """Register a resource of `agency` (the caller's own, or any agency's when a coordinator registers it)."""
        actor = envelope.actor
        if agency != actor.agency and not actor.has_any_role("coordinator"):
            raise NotPermitted("an agency registers its own resources (a coordinator may register any agency's)")
        return cls._start(cls.Registered, id=id, envelope=envelope, kind=rules.one_of(kind, RESOURCE_KINDS, "kind"),
                          name=rules.text(name, "name", max_len=200), owning_agency=agency)

    def access_of(self, agency: str) -> str | None:
        return "owner" if agency == self.owning_agency else "read"


class ResourceRequest(ChainedAggregate):
    """What an operation asks of an agency: a named resource, or a head count; the agency commits or declines."""

    type_name = "resource_request"
    references = frozenset({"operation_id", "investigation_id", "resource_id"})

    if TYPE_CHECKING:
        operation_id: str
        investigation_id: str
        deconfliction_number: str
        resource_id: str | None
        resource_agency: str
        kind: str
        count: int
        status: str
        answer: dict[str, Any] | None

    class Requested(ChainedAggregate.Created):
        operation_id: str
        investigation_id: str
        owning_agency: str  # the operation's
        deconfliction_number: str
        resource_id: str | None
        resource_agency: str
        kind: str
        count: int

        def apply(self, request: ResourceRequest) -> None:
            request.operation_id, request.investigation_id = self.operation_id, self.investigation_id
            request.owning_agency, request.deconfliction_number = self.owning_agency, self.deconfliction_number
            request.resource_id, request.resource_agency = self.resource_id, self.resource_agency
            request.kind, request.count, request.status, request.answer = self.kind, self.count, "requested", None

    class Committed(ChainedAggregate.Event):
        note: str

        def apply(self, request: ResourceRequest) -> None:
            request.status, request.answer = "committed", _answer(self, note=self.note)

    class Declined(ChainedAggregate.Event):
        reason: str

        def apply(self, request: ResourceRequest) -> None:
            request.status, request.answer = "declined", _answer(self, reason=self.reason)

    @classmethod
    def of_resource(cls, *, id: UUID, operation: Any, resource: Resource, envelope: Envelope) -> ResourceRequest:  # noqa: A002
        """Ask for a named resource for `operation`."""
        return cls._ask(id, operation, envelope, resource_id=str(resource.id), resource_agency=resource.owning_agency,
                        kind=resource.kind, count=1)

    @classmethod
    def of_personnel(cls, *, id: UUID, operation: Any, agency: Any, count: Any,  # noqa: A002
                     envelope: Envelope) -> ResourceRequest:
        """Ask an agency for a number of people for `operation`."""
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_HEADCOUNT:
            raise DomainError(f"must be a whole number from 1 to {MAX_HEADCOUNT}", "count")
        return cls._ask(id, operation, envelope, resource_id=None, resource_agency=rules.agency_code(agency),
                        kind=PERSONNEL, count=count)

    @classmethod
    def _ask(cls, id: UUID, operation: Any, envelope: Envelope, **what: Any) -> ResourceRequest:  # noqa: A002
        if not operation.deconflicted:
            raise StateConflict(f"an operation that is {operation.status} requests no resources", "status")
        return cls._start(cls.Requested, id=id, envelope=envelope, operation_id=str(operation.id),
                          investigation_id=str(operation.investigation_id), owning_agency=operation.owning_agency,
                          deconfliction_number=operation.deconfliction_number, **what)

    def commit(self, *, note: str | None, clashes: list[dict[str, Any]], envelope: Envelope) -> None:
        """The resource's agency (or a coordinator) commits it; refused while it is committed elsewhere then."""
        self._answerable(envelope)
        if clashes:
            raise StateConflict("the resource is committed to another operation at that time",
                                extensions={"commitments": clashes})
        self._record(self.Committed, envelope=envelope, note=rules.optional_text(note, "note", max_len=2000))

    def decline(self, *, reason: str, envelope: Envelope) -> None:
        """The resource's agency (or a coordinator) declines, saying why."""
        self._answerable(envelope)
        self._record(self.Declined, envelope=envelope, reason=rules.text(reason, "reason", max_len=2000))

    def access_of(self, agency: str) -> str | None:
        """The operation's agency asked; the resource's agency answers: both are parties to the request."""
        return "party" if agency in (self.owning_agency, self.resource_agency) else None

    def _answerable(self, envelope: Envelope) -> None:
        actor = envelope.actor
        if actor.agency != self.resource_agency and not actor.has_any_role("coordinator"):
            raise NotPermitted(f"only {self.resource_agency} (or a coordinator) answers this request")
        if self.status != "requested":
            raise StateConflict(f"the request was {self.status} already", "status")


def _answer(event: Any, **what: str) -> dict[str, Any]:
    actor = event.envelope["actor"]
    return {"by": {"sub": actor["sub"], "name": actor["name"], "agency": actor["agency"]}, "at": event.occurred_at,
            **what}


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether two windows share any time (touching ends do not)."""
    return a_start < b_end and b_start < a_end
