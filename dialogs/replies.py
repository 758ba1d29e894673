"""The messages the dialogs and the core both say: a card plus the plain text every platform can show."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.desk.principal import Principal
from bot.desk.views import ticket_view
from bot.log_fields import note
from bot.seam import OutboundMessage
from cards.builders import ticket_card
from cards.model import Card, Text
from storage.models import Ticket, utcnow

if TYPE_CHECKING:
    from bot.desk import Desk


def say(text: str) -> OutboundMessage:
    """A plain text message."""
    return OutboundMessage(text=text)


def notice_card(title: str, text: str) -> OutboundMessage:
    """A small card with one line, for answers that replace a pressed card (e.g. a cancelled draft)."""
    return OutboundMessage(text=f"{title}: {text}", card=Card(title=title, body=(Text(text),)))


def ticket_summary(ticket: Ticket) -> str:
    """One line about a ticket, the text fallback of its card."""
    assignees = ", ".join(m.name for m in ticket.assignees) or "unassigned"
    return f"#{ticket.number} {ticket.title} · {ticket.status.name} · {ticket.priority} · {assignees}"


async def ticket_message(
    desk: Desk, ticket: Ticket, *, viewer: Principal | None, notice: str | None = None
) -> OutboundMessage:
    """The ticket card as `viewer` may use it (None: a card shared in a channel), with an optional notice; the
    request's log line names the ticket."""
    note(ticket=ticket.number)
    card = ticket_card(await ticket_view(desk.db, ticket, viewer), now=utcnow(), notice=notice)
    text = ticket_summary(ticket)
    return OutboundMessage(text=f"{notice}\n{text}" if notice else text, card=card)
