"""The messages the dialogs and the core both say: a card plus the plain text every platform can show."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.desk.principal import Principal
from bot.desk.views import TicketRead, ticket_view
from bot.log_fields import note
from bot.seam import OutboundMessage
from cards.builders import ticket_card
from cards.model import Card, Text
from cards.views import TicketView
from storage.models import Ticket, utcnow

if TYPE_CHECKING:
    from bot.desk import Desk


def say(text: str) -> OutboundMessage:
    """A plain text message."""
    return OutboundMessage(text=text)


def notice_card(title: str, text: str) -> OutboundMessage:
    """A small card with one line, for answers that replace a pressed card (e.g. a cancelled draft)."""
    return OutboundMessage(text=f"{title}: {text}", card=Card(title=title, body=(Text(text),)))


def ticket_summary(view: TicketView) -> str:
    """One line about a ticket, the text fallback of its card."""
    assignees = ", ".join(view.assignees) or "unassigned"
    return f"#{view.number} {view.title} · {view.status} · {view.priority} · {assignees}"


async def ticket_message(
    desk: Desk, ticket: Ticket | TicketRead, *, viewer: Principal | None, notice: str | None = None
) -> OutboundMessage:
    """The ticket card as `viewer` may use it (None: a card shared in a channel), with an optional notice; the
    request's log line names the ticket."""
    note(ticket=ticket.number)
    view = await ticket_view(desk.db, ticket, viewer)
    card = ticket_card(view, now=utcnow(), notice=notice)
    text = ticket_summary(view)
    return OutboundMessage(text=f"{notice}\n{text}" if notice else text, card=card)
