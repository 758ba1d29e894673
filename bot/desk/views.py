"""Turning domain rows into the plain views the card builders take."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.views import NoteView, TicketView
from storage.db import Database
from storage.models import Note, Ticket


def note_view(note: Note) -> NoteView:
    """A note as a card shows it."""
    return NoteView(
        id=note.uid, author=note.author_name, text=note.text, internal=note.internal, created_at=note.created_at
    )


async def ticket_view(db: Database, ticket: Ticket) -> TicketView:
    """A ticket as a card shows it, with its latest public note (cards may be seen by requesters)."""
    async with db.sessions() as session:
        return await ticket_view_in(session, ticket)


async def ticket_view_in(session: AsyncSession, ticket: Ticket) -> TicketView:
    """`ticket_view` inside an open session (the notification planner runs inside the change's transaction)."""
    latest = await session.scalar(
        select(Note).where(Note.ticket_id == ticket.id, Note.internal.is_(False)).order_by(Note.id.desc()).limit(1)
    )
    return TicketView(
        number=ticket.number,
        title=ticket.title,
        description=ticket.description,
        status=ticket.status.name,
        is_closed=ticket.status.is_closed,
        priority=ticket.priority,
        board=ticket.board.name,
        assignees=tuple(m.name for m in ticket.assignees),
        requester=ticket.requester_name,
        category=ticket.category.name if ticket.category else None,
        version=ticket.version,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        latest_note=note_view(latest) if latest else None,
        statuses=tuple(s.name for s in ticket.board.statuses),
    )
