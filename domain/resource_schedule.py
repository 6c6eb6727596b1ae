"""Index records of commitments: one per named resource and UTC day, so that two commitments of one resource at
the same time collide in the store (the same idea as deconfliction's index records, docs/architecture.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate


class ResourceSchedule(Aggregate):
    """The commitments of one named resource on one day. Never shown: the commit reads and writes it."""

    if TYPE_CHECKING:
        resource_id: str
        day: str
        commitments: dict[str, dict[str, Any]]

    class Started(Aggregate.Created):
        resource_id: str
        day: str

        def apply(self, schedule: ResourceSchedule) -> None:
            schedule.resource_id, schedule.day, schedule.commitments = self.resource_id, self.day, {}

    class Booked(Aggregate.Event):
        commitment: dict[str, Any]  # request_id, operation_id, agency, deconfliction_number, starts_at, ends_at

        def apply(self, schedule: ResourceSchedule) -> None:
            schedule.commitments[self.commitment["request_id"]] = self.commitment

    @classmethod
    def start(cls, *, id: Any, resource_id: str, day: str) -> ResourceSchedule:  # noqa: A002
        return cls._create(cls.Started, id=id, resource_id=resource_id, day=day)

    def book(self, commitment: dict[str, Any]) -> None:
        """Write the commitment here; always an event, so two commits that read this record collide on it."""
        self.trigger_event(self.Booked, commitment=commitment)
