"""The coordination layer's errors: library and domain failures are translated here, once."""

from __future__ import annotations

from typing import Any


class CoordinationError(Exception):
    """Base of the errors a use case raises; the api maps each to one HTTP status."""

    def __init__(self, message: str, field: str | None = None, extensions: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        # Members the problem details carry besides detail and errors (e.g. the open conflicts a start waits on).
        self.extensions = extensions or {}
        # The record a refused request concerned (coordination.context.Touched), for its audit record.
        self.touched: Any = None


class NotFound(CoordinationError):
    """Absent, or not visible to the caller (the two are indistinguishable on purpose)."""


class Forbidden(CoordinationError):
    """The caller sees the object but their role or access does not allow this."""


class Invalid(CoordinationError):
    """The command breaks a domain rule; `field` names the input at fault."""


class Conflict(CoordinationError):
    """The object's present state refuses the command, or a concurrent write won."""


class Contended(CoordinationError):
    """So many writers raced for one object that this one did not win within its retry budget; retry later."""


class PreconditionFailed(CoordinationError):
    """If-Match named a version that is no longer current."""


class PreconditionRequired(CoordinationError):
    """This write changes what others decided on, so it must say which version it saw (If-Match)."""


class IdempotencyKeyReused(CoordinationError):
    """The Idempotency-Key was already used for a different request."""


class Damaged(CoordinationError):
    """A record's stored history was altered outside Pathways and cannot be read; its integrity check names where.

    `record` is what its events up to the first broken link make of it (for the audit record), or None.
    """

    record: Any = None


class StoreUnavailable(CoordinationError):
    """A store cannot be reached; the client should retry later."""


class NotYetVisible(CoordinationError):
    """The read model has not reached the log position the caller asked to see."""
