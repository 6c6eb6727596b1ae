"""Index records of deconfliction: one per h3 cell and UTC day, listing the operations kept under it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate


class AreaIndex(Aggregate):
    """The operations indexed under one cell and day (domain.deconfliction explains why this finds them all).

    Never shown to anyone: the deconfliction check loads it, tests its entries exactly and writes it back in the
    same atomic save as the operation, so two plans that could conflict collide on it and the loser retries.
    """

    if TYPE_CHECKING:
        cell: str
        day: str
        entries: dict[str, dict[str, Any]]

    class Started(Aggregate.Created):
        cell: str
        day: str

        def apply(self, index: AreaIndex) -> None:
            index.cell, index.day, index.entries = self.cell, self.day, {}

    class Entered(Aggregate.Event):
        entry: dict[str, Any]

        def apply(self, index: AreaIndex) -> None:
            index.entries[ref_of(self.entry)] = self.entry

    class Left(Aggregate.Event):
        operation_id: str

        def apply(self, index: AreaIndex) -> None:
            index.entries.pop(self.operation_id, None)

    class Checked(Aggregate.Event):
        """A check near this cell and day read the record; recorded so that a racing check collides on it."""

        ref: str  # the operation, or the registered target address, whose check it was
        # Most events of an index record are these, and they change nothing but its version: a reader that
        # only needs the record's state and version may count them without decoding them (bulk_reads).
        changes_only_version = True

        def apply(self, index: AreaIndex) -> None:
            pass

    @classmethod
    def start(cls, *, id: Any, cell: str, day: str) -> AreaIndex:  # noqa: A002
        """The index record of a cell and day, at its natural key (NaturalKeys.area)."""
        return cls._create(cls.Started, id=id, cell=cell, day=day)

    def enter(self, entry: dict[str, Any]) -> None:
        """Keep (or replace) an operation's entry, or a target address's (under the "targets" day)."""
        if self.entries.get(ref_of(entry)) != entry:
            self.trigger_event(self.Entered, entry=entry)

    def leave(self, operation_id: str) -> None:
        """Drop an operation that moved away, changed its window or was withdrawn."""
        if operation_id in self.entries:
            self.trigger_event(self.Left, operation_id=operation_id)

    def keep(self, entry: dict[str, Any], *, here: bool) -> None:
        """What a check of the entry's operation writes here: its entry where its path runs (`here`), elsewhere
        in its ring its absence; and always an event, so that two checks that read this record collide on it."""
        ref = ref_of(entry)
        if here and self.entries.get(ref) != entry:
            self.enter(entry)
        elif not here and ref in self.entries:
            self.leave(ref)
        else:
            self.touch(ref)

    def touch(self, ref: str) -> None:
        """Record that a check (of an operation or a target address) read this record, changing nothing in it."""
        self.trigger_event(self.Checked, ref=ref)


def ref_of(entry: dict[str, Any]) -> str:
    """What an entry is kept under: the operation's id, or a registration's subject."""
    return str(entry.get("ref") or entry["operation_id"])

