"""Hash chain over an aggregate's events, so that a stored event changed or deleted by hand shows."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

GENESIS = "0" * 64

# Fields that are not part of what an event says: its own digest, and the library's bookkeeping.
_EXCLUDED = frozenset({"digest", "class_version"})


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} in a digest")


def canonical(content: dict[str, Any]) -> bytes:
    """The event's content as canonical JSON: sorted keys, no spaces, plain types."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=_plain).encode()


def event_digest(topic: str, originator_id: UUID, version: int, state: dict[str, Any]) -> str:
    """SHA-256 over the event's topic, position in its aggregate and stored state (its prev_digest included)."""
    content = {k: v for k, v in state.items() if k not in _EXCLUDED}
    content["@topic"] = topic
    content["@id"] = str(originator_id)
    content["@version"] = version
    return hashlib.sha256(canonical(content)).hexdigest()
