"""What a request with an Idempotency-Key produced, so that a retry gets the same answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate


class IdempotencyRecord(Aggregate):
    """One per agency and Idempotency-Key, saved atomically with the events its request produced."""

    if TYPE_CHECKING:
        agency: str
        sub: str
        key: str
        request_digest: str
        result: dict[str, Any]

    class Recorded(Aggregate.Created):
        agency: str
        sub: str
        key: str
        request_digest: str
        result: dict[str, Any]

        def apply(self, record: IdempotencyRecord) -> None:
            record.agency, record.sub, record.key = self.agency, self.sub, self.key
            record.request_digest, record.result = self.request_digest, self.result

    @classmethod
    def record(
        cls, *, id: UUID, agency: str, sub: str, key: str, request_digest: str, result: dict[str, Any]  # noqa: A002
    ) -> IdempotencyRecord:
        """The record of what a request produced, to be saved with the events it produced."""
        return cls._create(
            cls.Recorded,
            id=id,
            agency=agency,
            sub=sub,
            key=key,
            request_digest=request_digest,
            result=result,
        )
