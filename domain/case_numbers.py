"""Human case numbers, unique per agency and year (HSI-2026-00042)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate


class CaseNumberSequence(Aggregate):
    """The counter of case numbers one agency has issued in one year."""

    if TYPE_CHECKING:
        agency: str
        year: int
        last: int

    class Started(Aggregate.Created):
        agency: str
        year: int

        def apply(self, seq: CaseNumberSequence) -> None:
            seq.agency, seq.year, seq.last = self.agency, self.year, 0

    class Issued(Aggregate.Event):
        number: int

        def apply(self, seq: CaseNumberSequence) -> None:
            seq.last = self.number

    @classmethod
    def start(cls, *, id: UUID, agency: str, year: int) -> CaseNumberSequence:  # noqa: A002
        """The counter of an agency's first case of the year, at its natural key (NaturalKeys.case_sequence)."""
        return cls._create(cls.Started, id=id, agency=agency, year=year)

    def issue(self) -> str:
        """The next case number; saving it with the new case makes two racing openings collide."""
        self.trigger_event(self.Issued, number=self.last + 1)
        return f"{self.agency}-{self.year}-{self.last:05d}"
