"""Base aggregate whose events carry their envelope and form a hash chain (DESIGN.md §3)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.chain import GENESIS, event_digest
from domain.envelope import Envelope
from domain.sharing import sees_contribution


class ChainedAggregate(Aggregate):
    """An aggregate whose every event says who did it, when it happened, and links to the one before.

    It declares what the cross-cutting code needs to guard, audit and show it: `type_name`, `owning_agency`,
    `access_of` (who may see it) and `sees_event` (which of its events an agency may read), so that a new
    aggregate plugs into access checks, the audit trail, the timeline and the integrity check as it is.
    """

    chain_head: str = GENESIS
    # What the audit trail, errors and routes call this kind of record ("investigation", "operation", ...).
    type_name: ClassVar[str] = ""
    # Event fields that name another aggregate: shown only to a reader who may see that one too.
    references: ClassVar[frozenset[str]] = frozenset()
    # Whether a prosecutor's office that reads a case (it was referred to them) sees this record of the case too;
    # False: only as the record's own access_of says (a referral is its own office's alone).
    seen_by_referred_offices: ClassVar[bool] = True

    if TYPE_CHECKING:  # set by each subclass's first event; an annotation at runtime would make it a field
        owning_agency: str

    def access_of(self, agency: str) -> str | None:
        """What an agency may do with this record: owner, contribute, read, or None (it may not see it)."""
        raise NotImplementedError

    def sees_event(self, agency: str, event: Any) -> bool:
        """Whether an agency that may see this record may also see one of its events (third agency rule)."""
        return sees_contribution(agency, self.owning_agency, event.envelope["actor"]["agency"])

    class Event(Aggregate.Event):
        envelope: dict[str, Any]
        occurred_at: datetime
        prev_digest: str
        digest: str

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            aggregate.chain_head = self.digest
            return aggregate

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _start(
        cls,
        event_class: type[Created],
        *,
        id: UUID,  # noqa: A002 - the library's name for it
        envelope: Envelope,
        occurred_at: datetime | None = None,
        **fields: Any,
    ) -> Any:
        """Create the aggregate with its first, chained event."""
        state = _event_state(event_class, envelope, occurred_at, GENESIS, fields)
        state["originator_topic"] = get_topic(cls)
        digest = event_digest(get_topic(event_class), id, cls.INITIAL_VERSION, state)
        return cls._create(event_class, id=id, digest=digest, **state)

    def _record(
        self,
        event_class: type[Event],
        *,
        envelope: Envelope,
        occurred_at: datetime | None = None,
        **fields: Any,
    ) -> None:
        """Trigger the next event of this aggregate, chained to the last one."""
        state = _event_state(event_class, envelope, occurred_at, self.chain_head, fields)
        digest = event_digest(get_topic(event_class), self.id, self.version + 1, state)
        self.trigger_event(event_class, digest=digest, **state)


def _event_state(
    event_class: type[ChainedAggregate.Event],
    envelope: Envelope,
    occurred_at: datetime | None,
    prev_digest: str,
    fields: dict[str, Any],
) -> dict[str, Any]:
    # The timestamp is fixed here, not by the library, because the digest covers it.
    timestamp = event_class.create_timestamp()
    return dict(
        fields,
        timestamp=timestamp,
        envelope=envelope.as_dict(),
        occurred_at=occurred_at or timestamp,
        prev_digest=prev_digest,
    )
