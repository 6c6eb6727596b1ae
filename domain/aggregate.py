"""Base aggregate whose events carry their envelope and form a hash chain (DESIGN.md §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.chain import GENESIS, event_digest
from domain.envelope import Envelope


class ChainedAggregate(Aggregate):
    """An aggregate whose every event says who did it, when it happened, and links to the one before."""

    chain_head: str = GENESIS

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
