"""Errors the domain raises when a command breaks one of its rules."""


class DomainError(Exception):
    """A command broke a domain rule; `field` names the input at fault, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidTransition(DomainError):
    """A status change that the investigation lifecycle does not allow."""


class StateConflict(DomainError):
    """The command is valid but the aggregate's present state refuses it (e.g. a closed case)."""


class NotPermitted(DomainError):
    """The actor's role or authorship does not allow this change (a supervisor's approval, another's entry)."""
