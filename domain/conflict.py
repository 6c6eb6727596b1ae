"""The Conflict aggregate: two submissions that must not go ahead unknown to each other, until resolved."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import rules
from domain.aggregate import ChainedAggregate
from domain.envelope import Envelope
from domain.errors import DomainError, NotPermitted, StateConflict

RESOLUTIONS = ("proceed_separately", "joint", "rescheduled", "cancelled", "not_a_conflict")
STATUSES = ("detected", "owned", "acknowledged", "escalated", "resolved", "obsolete")
CLOSED = frozenset({"resolved", "obsolete"})
# How long a party may leave a conflict unacknowledged before the board shows it overdue.
ACKNOWLEDGE_WITHIN = {"critical": timedelta(minutes=15), "high": timedelta(minutes=15), "medium": timedelta(hours=24)}


class Conflict(ChainedAggregate):
    """A pair of submissions that break a deconfliction rule together; each party sees only the other's pointer.

    A party is {agency, investigation_id, operation_id, deconfliction_number, point_of_contact, starts_at}:
    what the parties are told of each other is chosen by the views, never everything kept here.
    """

    type_name = "conflict"

    if TYPE_CHECKING:
        kind: str
        severity: str
        parties: list[dict[str, Any]]
        distance_m: int | None
        overlap: dict[str, datetime] | None
        owning_agency: str
        detected_at: datetime
        coordinator: dict[str, str] | None
        acknowledged_by: list[str]
        escalation: str | None
        resolution: dict[str, str] | None
        obsolete: bool

    class Detected(ChainedAggregate.Created):
        kind: str
        severity: str
        parties: list[dict[str, Any]]
        distance_m: int | None
        overlap: dict[str, Any] | None
        owning_agency: str

        def apply(self, conflict: Conflict) -> None:
            conflict.kind, conflict.owning_agency, conflict.obsolete = self.kind, self.owning_agency, False
            conflict.coordinator, conflict.escalation, conflict.resolution = None, None, None
            _detected(conflict, self)

    class Revised(ChainedAggregate.Event):
        """The pair still conflicts after an amendment, but how badly, how near or when changed."""

        severity: str
        parties: list[dict[str, Any]]
        distance_m: int | None
        overlap: dict[str, Any] | None

        def apply(self, conflict: Conflict) -> None:
            conflict.severity, conflict.parties = self.severity, self.parties
            conflict.distance_m, conflict.overlap = self.distance_m, self.overlap

    class Obsoleted(ChainedAggregate.Event):
        reason: str

        def apply(self, conflict: Conflict) -> None:
            conflict.obsolete = True

    class Reopened(ChainedAggregate.Event):
        """The pair conflicts again after an amendment: detected anew, acknowledgements reset."""

        severity: str
        parties: list[dict[str, Any]]
        distance_m: int | None
        overlap: dict[str, Any] | None

        def apply(self, conflict: Conflict) -> None:
            conflict.obsolete, conflict.resolution, conflict.escalation = False, None, None
            _detected(conflict, self)

    class Taken(ChainedAggregate.Event):
        coordinator: dict[str, str]
        note: str

        def apply(self, conflict: Conflict) -> None:
            conflict.coordinator = self.coordinator

    class Acknowledged(ChainedAggregate.Event):
        agency: str
        note: str

        def apply(self, conflict: Conflict) -> None:
            conflict.acknowledged_by = [*conflict.acknowledged_by, self.agency]

    class Escalated(ChainedAggregate.Event):
        reason: str

        def apply(self, conflict: Conflict) -> None:
            conflict.escalation = self.reason

    class Resolved(ChainedAggregate.Event):
        resolution: str
        note: str

        def apply(self, conflict: Conflict) -> None:
            conflict.resolution = {"resolution": self.resolution, "note": self.note}

    @classmethod
    def detect(
        cls, *, id: UUID, finding: dict[str, Any], parties: list[dict[str, Any]], envelope: Envelope,  # noqa: A002
    ) -> Conflict:
        """A new conflict between the submission already known (first party) and the one checked now."""
        return cls._start(cls.Detected, id=id, envelope=envelope, kind=finding["kind"],
                          severity=finding["severity"], parties=parties, distance_m=finding.get("distance_m"),
                          overlap=finding.get("overlap"), owning_agency=parties[0]["agency"])

    def still_holds(self, *, finding: dict[str, Any], parties: list[dict[str, Any]], envelope: Envelope) -> str | None:
        """After a re-check found the pair again: "reopened", "revised", or None when nothing changed."""
        details = {"severity": finding["severity"], "parties": parties, "distance_m": finding.get("distance_m"),
                   "overlap": finding.get("overlap")}
        if self.obsolete:
            self._record(self.Reopened, envelope=envelope, **details)
            return "reopened"
        if self.status in CLOSED:
            return None  # resolved stays resolved: the parties already talked
        current = {"severity": self.severity, "parties": self.parties, "distance_m": self.distance_m,
                   "overlap": self.overlap}
        if details == current:
            return None
        self._record(self.Revised, envelope=envelope, **details)
        return "revised"

    def no_longer_holds(self, *, reason: str, envelope: Envelope) -> bool:
        """After a re-check no longer found the pair: obsolete (True), unless it was closed already."""
        if self.status in CLOSED:
            return False
        self._record(self.Obsoleted, envelope=envelope, reason=reason)
        return True

    def take(self, *, note: str | None, envelope: Envelope) -> None:
        """A coordinator owns the conflict until the parties resolve it."""
        self._refuse_if_closed()
        actor = envelope.actor
        if not actor.has_any_role("coordinator"):
            raise NotPermitted("only a coordinator takes a conflict")
        if self.coordinator is not None and self.coordinator["sub"] == actor.sub:
            raise StateConflict("you own this conflict already")
        self._record(self.Taken, envelope=envelope, note=_note(note),
                     coordinator={"sub": actor.sub, "name": actor.name, "agency": actor.agency})

    def acknowledge(self, *, note: str | None, envelope: Envelope) -> None:
        """A party says it was told and will call the other."""
        self._refuse_if_closed()
        agency = envelope.actor.agency
        if agency not in self.party_agencies:
            raise NotPermitted("only a party to the conflict acknowledges it")
        if agency in self.acknowledged_by:
            raise StateConflict(f"{agency} acknowledged this conflict already")
        self._record(self.Acknowledged, envelope=envelope, agency=agency, note=_note(note))

    def escalate(self, *, reason: str, envelope: Envelope) -> None:
        """The parties cannot agree: the coordination group's management decides."""
        self._refuse_if_closed()
        if self.escalation is not None:
            raise StateConflict("the conflict was escalated already")
        self._record(self.Escalated, envelope=envelope, reason=rules.text(reason, "reason", max_len=2000))

    def resolve(self, *, resolution: str, note: str, envelope: Envelope) -> None:
        """How the parties settled it, on record."""
        self._refuse_if_closed()
        self._record(self.Resolved, envelope=envelope, resolution=rules.one_of(resolution, RESOLUTIONS, "resolution"),
                     note=rules.text(note, "note", max_len=2000))

    @property
    def party_agencies(self) -> list[str]:
        return sorted({p["agency"] for p in self.parties})

    @property
    def status(self) -> str:
        if self.resolution is not None:
            return "resolved"
        if self.obsolete:
            return "obsolete"
        if self.escalation is not None:
            return "escalated"
        if set(self.party_agencies) <= set(self.acknowledged_by):
            return "acknowledged"
        return "owned" if self.coordinator is not None else "detected"

    @property
    def acknowledge_by(self) -> datetime | None:
        """When the parties must have acknowledged it (None for low severity: no one is told)."""
        within = ACKNOWLEDGE_WITHIN.get(self.severity)
        return self.detected_at + within if within else None

    def access_of(self, agency: str) -> str | None:
        """The parties' agencies see the conflict (each the other's pointer); coordinators by their role.

        A name-only possible match (low) is for coordinators alone: no pointer is sent on a likeness of names.
        """
        return "party" if agency in self.party_agencies and self.severity != "low" else None

    def sees_event(self, agency: str, event: Any) -> bool:
        """Never: its events hold both parties' investigations; parties read it through pointer-level views."""
        return False

    def _refuse_if_closed(self) -> None:
        if self.status in CLOSED:
            raise StateConflict(f"the conflict is {self.status}")


def _detected(conflict: Conflict, event: Any) -> None:
    conflict.severity, conflict.parties = event.severity, event.parties
    conflict.distance_m, conflict.overlap = event.distance_m, event.overlap
    conflict.detected_at, conflict.acknowledged_by = event.timestamp, []


def _note(note: str | None) -> str:
    if note is not None and not isinstance(note, str):
        raise DomainError("must be text", "note")
    return rules.optional_text(note, "note", max_len=2000)
