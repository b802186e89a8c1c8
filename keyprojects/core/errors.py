"""Domain errors: raised by services, carrying a message already translated for the person acting."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the action; the message is shown to the user as it is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The person may see the object but may not perform this action on it."""


class Conflict(DomainError):
    """The action does not fit the object as it now stands: a workflow step its current state does not allow,
    or an edit of a version someone else has changed since it was read (the API answers 409)."""
