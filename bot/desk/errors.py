"""Domain errors: each carries a short message fit to show a user as it is."""

from __future__ import annotations

from typing import Any


class TicketbotError(Exception):
    """Base of every error the user is told about. `str(error)` is the message for the user."""

    status = 400


class Invalid(TicketbotError):
    """The input is not acceptable (unknown priority, empty title, ...); `field` names the input when one is to blame
    (the admin API answers it in its 400)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Unchanged(Invalid):
    """The change asks for the values the ticket already has."""


class NotFound(TicketbotError):
    """The ticket, board, member or key does not exist."""

    status = 404


class Forbidden(TicketbotError):
    """The actor may not do this; the message says why."""

    status = 403


class Conflict(TicketbotError):
    """The ticket changed since the version the caller saw; `current` is the ticket as it is now."""

    status = 409

    def __init__(self, message: str, current: Any = None) -> None:
        super().__init__(message)
        self.current = current
