"""What a use case knows about the request it serves: who, which request, and retry safety."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from domain.envelope import Actor, Envelope


@dataclass(frozen=True)
class Idempotency:
    """An Idempotency-Key and the digest of the request it was sent with."""

    key: str
    request_digest: str


@dataclass(frozen=True)
class Touched:
    """The record a request touched, as its audit record names it: kind, id and owning agency."""

    object_type: str
    object_id: str
    owner: str


@dataclass(frozen=True)
class RequestContext:
    """The caller and the request, as the api authenticated and identified them."""

    actor: Actor
    request_id: str = ""
    idempotency: Idempotency | None = None
    # Chain heads a write reached; anchored with the request's audit record when the api writes one.
    heads: list[tuple[UUID, int, str]] = field(default_factory=list, compare=False, hash=False)
    anchors_deferred: bool = False

    @property
    def envelope(self) -> Envelope:
        return Envelope(actor=self.actor, request_id=self.request_id)
