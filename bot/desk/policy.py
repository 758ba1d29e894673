"""Who may see, list and change what (SPEC §3, Permissions). Chat, the CLI and the admin API all ask here.

Desk members (and admins) may do everything on tickets. A requester who is not a member may open tickets,
see their own, add public notes to them, and close or reopen them. Admin commands need the admin flag.
Cards offer only the actions the viewer may use (`ticket_verbs`), so a refusal is never the first thing a
guest learns about a button; the domain still checks every change (`require_*`), whatever a card offered.
"""

from __future__ import annotations

from typing import Protocol

from bot.desk.errors import Forbidden
from bot.desk.principal import Principal
from cards import verbs


class Requested(Protocol):
    """Whatever says who requested a ticket (the ORM row, a read model)."""

    number: int
    requester_member_id: int | None
    requester_identity_id: int | None


def is_staff(principal: Principal) -> bool:
    """Whether the principal works the desk: a member or an admin."""
    return principal.is_member or principal.is_admin


def owns(principal: Principal, ticket: Requested) -> bool:
    """Whether the principal requested the ticket."""
    if principal.member_id is not None and ticket.requester_member_id == principal.member_id:
        return True
    return principal.identity_id is not None and ticket.requester_identity_id == principal.identity_id


def may_see(principal: Principal, ticket: Requested) -> bool:
    """Members see every ticket; a requester who is not a member sees their own."""
    return is_staff(principal) or owns(principal, ticket)


def may_see_internal(principal: Principal) -> bool:
    """Internal notes are for desk members only: never shown, counted or hinted at to anyone else."""
    return is_staff(principal)


def require_see(principal: Principal, ticket: Requested) -> None:
    """Raise Forbidden unless the principal may see the ticket."""
    if not may_see(principal, ticket):
        raise Forbidden(
            f"Ticket #{ticket.number} is not yours, and only desk members can see other people's tickets."
        )


def require_staff(principal: Principal, what: str) -> None:
    """Raise Forbidden unless the principal is a desk member; `what` completes "Only desk members can …"."""
    if not is_staff(principal):
        raise Forbidden(f"Only desk members can {what}.")


def require_admin(principal: Principal, what: str) -> None:
    """Raise Forbidden unless the principal is an admin; `what` completes "Only admins can …"."""
    if not principal.is_admin:
        raise Forbidden(f"Only admins can {what}.")


def require_note(principal: Principal, ticket: Requested, *, internal: bool) -> None:
    """Members note anything; a requester adds public notes to their own tickets."""
    if is_staff(principal):
        return
    if internal:
        raise Forbidden("Only desk members can add internal notes.")
    if not owns(principal, ticket):
        raise Forbidden(f"You can add notes only to your own tickets; #{ticket.number} is not yours.")


def require_close(principal: Principal, ticket: Requested, *, verb: str = "close") -> None:
    """Members close and reopen any ticket; a requester their own."""
    if not (is_staff(principal) or owns(principal, ticket)):
        raise Forbidden(f"You can {verb} only your own tickets; #{ticket.number} is not yours.")


def ticket_verbs(principal: Principal, ticket: Requested) -> frozenset[str]:
    """The card actions the principal may use on the ticket."""
    if is_staff(principal):
        return frozenset({verbs.ASSIGN_ME, verbs.STATUS, verbs.PRIORITY, verbs.NOTE, verbs.CLOSE, verbs.REOPEN})
    if owns(principal, ticket):
        return frozenset({verbs.NOTE, verbs.CLOSE, verbs.REOPEN})
    return frozenset()
