"""Who did a thing and in which request: the envelope every event carries (DESIGN.md §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Actor:
    """The authenticated person behind a command, as the identity provider vouches for them."""

    sub: str
    agency: str
    name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_any_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def as_dict(self) -> dict[str, Any]:
        return {"sub": self.sub, "name": self.name, "agency": self.agency, "roles": sorted(self.roles)}


@dataclass(frozen=True)
class Envelope:
    """The actor and the request an event came from."""

    actor: Actor
    request_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"actor": self.actor.as_dict(), "request_id": self.request_id}
