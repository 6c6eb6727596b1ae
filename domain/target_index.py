"""Index records of target deconfliction: one per keyed digest of a normalised identifier."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate


class TargetIndex(Aggregate):
    """Who registered one identifier (a phone, a passport, a plate...) and which operations are after it.

    Keyed by an HMAC of the identifier (domain.targets.identifier_digest), and holding no identifier at all: an
    entry names a subject or an operation, its investigation and agency, and whom to call. Loaded and written
    in the same atomic save as the subject or operation, so two registrations of one identifier collide.
    """

    if TYPE_CHECKING:
        entries: dict[str, dict[str, Any]]

    class Started(Aggregate.Created):
        def apply(self, index: TargetIndex) -> None:
            index.entries = {}

    class Entered(Aggregate.Event):
        entry: dict[str, Any]

        def apply(self, index: TargetIndex) -> None:
            index.entries[self.entry["ref"]] = self.entry

    class Left(Aggregate.Event):
        ref: str

        def apply(self, index: TargetIndex) -> None:
            index.entries.pop(self.ref, None)

    @classmethod
    def start(cls, *, id: Any) -> TargetIndex:  # noqa: A002
        """The index record of one identifier digest, at its natural key (NaturalKeys.target)."""
        return cls._create(cls.Started, id=id)

    def enter(self, entry: dict[str, Any]) -> None:
        """Keep (or replace) a registration's or an operation's entry."""
        if self.entries.get(entry["ref"]) != entry:
            self.trigger_event(self.Entered, entry=entry)

    def leave(self, ref: str) -> None:
        if ref in self.entries:
            self.trigger_event(self.Left, ref=ref)
