"""Errors the domain raises when a command breaks one of its rules."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command broke a domain rule; `field` names the input at fault, if any."""

    def __init__(self, message: str, field: str | None = None, extensions: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extensions = extensions or {}  # what else the refusal names, for the client to act on


class InvalidTransition(DomainError):
    """A status change that the investigation lifecycle does not allow."""


class StateConflict(DomainError):
    """The command is valid but the aggregate's present state refuses it (e.g. a closed case)."""


class NotPermitted(DomainError):
    """The actor's role or authorship does not allow this change (a supervisor's approval, another's entry)."""
