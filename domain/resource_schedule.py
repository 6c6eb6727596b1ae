"""Index records of commitments: one per named resource, so that two commitments of one resource collide in
the store (the same idea as deconfliction's index records, docs/architecture.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate


class ResourceSchedule(Aggregate):
    """The live commitments of one named resource. Never shown: a commit reads and writes it.

    It keeps which operations hold the resource, not when: a commit judges each by its operation's window as it
    stands then, so an operation moved since is judged where it now is.
    """

    if TYPE_CHECKING:
        resource_id: str
        commitments: dict[str, dict[str, Any]]

    class Started(Aggregate.Created):
        resource_id: str

        def apply(self, schedule: ResourceSchedule) -> None:
            schedule.resource_id, schedule.commitments = self.resource_id, {}

    class Booked(Aggregate.Event):
        commitment: dict[str, Any]  # request_id, operation_id

        def apply(self, schedule: ResourceSchedule) -> None:
            schedule.commitments[self.commitment["request_id"]] = self.commitment

    class Released(Aggregate.Event):
        request_id: str

        def apply(self, schedule: ResourceSchedule) -> None:
            schedule.commitments.pop(self.request_id, None)

    @classmethod
    def start(cls, *, id: Any, resource_id: str) -> ResourceSchedule:  # noqa: A002
        return cls._create(cls.Started, id=id, resource_id=resource_id)

    def book(self, commitment: dict[str, Any]) -> None:
        self.trigger_event(self.Booked, commitment=commitment)

    def release(self, request_id: str) -> None:
        """Drop a commitment whose operation no longer goes ahead, so that the record stays small."""
        if request_id in self.commitments:
            self.trigger_event(self.Released, request_id=request_id)
