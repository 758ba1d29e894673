"""Turning domain rows into the plain views the card builders take.

A list card shows up to ten tickets, each with its latest public note: `ticket_views` reads those notes for the
whole page in one query (`ticket_view` per ticket would be one query each).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from cards.views import NoteView, TicketView
from storage.db import Database
from storage.models import Note, Ticket


def note_view(note: Note) -> NoteView:
    """A note as a card shows it."""
    return NoteView(
        id=note.uid, author=note.author_name, text=note.text, internal=note.internal, created_at=note.created_at
    )


async def latest_public_notes(db: Database, ticket_ids: Sequence[int]) -> dict[int, Note]:
    """The latest public note of each of these tickets (by ticket id), in one query; tickets without one are absent."""
    if not ticket_ids:
        return {}
    latest = (
        select(func.max(Note.id))
        .where(Note.ticket_id.in_(ticket_ids), Note.internal.is_(False))
        .group_by(Note.ticket_id)
    )
    async with db.sessions() as session:
        notes = (await session.scalars(select(Note).where(Note.id.in_(latest)))).all()
    return {note.ticket_id: note for note in notes}


def _view(ticket: Ticket, latest: Note | None) -> TicketView:
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


async def ticket_view(db: Database, ticket: Ticket) -> TicketView:
    """A ticket as a card shows it, with its latest public note (cards may be seen by requesters)."""
    return _view(ticket, (await latest_public_notes(db, [ticket.id])).get(ticket.id))


async def ticket_views(db: Database, tickets: Sequence[Ticket]) -> list[TicketView]:
    """A page of tickets as a list card shows them, their latest public notes read in one query."""
    latest = await latest_public_notes(db, [t.id for t in tickets])
    return [_view(ticket, latest.get(ticket.id)) for ticket in tickets]
