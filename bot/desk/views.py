"""Turning domain rows into the plain views the card builders take, as one viewer may see them.

A viewer who is not a desk member never sees internal notes: not their text, not their count, not a hint in
the history. The card's actions are the ones the viewer may use (`policy.ticket_verbs`). A list card shows up
to ten tickets: `ticket_views` reads their latest public notes in one query (one `ticket_view` each would be
a query per ticket).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Select, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import policy
from bot.desk.principal import Principal
from cards.views import AttachmentView, NoteView, TicketView
from storage.db import Database
from storage.models import Attachment, Note, Ticket, table_of


def note_view(note: Note) -> NoteView:
    """A note as a card shows it."""
    return NoteView(
        id=note.uid, author=note.author_name, text=note.text, internal=note.internal, created_at=note.created_at
    )


_Query = TypeVar("_Query", bound=Select)


def _sees_internal(viewer: Principal | None) -> bool:
    return viewer is not None and policy.may_see_internal(viewer)


def _visible(query: _Query, ticket: Ticket, viewer: Principal | None) -> _Query:
    query = query.where(Note.ticket_id == ticket.id)
    return query if _sees_internal(viewer) else query.where(Note.internal.is_(False))


async def _attachments(session: AsyncSession, ticket: Ticket, viewer: Principal | None) -> tuple[AttachmentView, ...]:
    query = select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
    if not _sees_internal(viewer):
        hidden = select(Note.id).where(Note.ticket_id == ticket.id, Note.internal.is_(True))
        query = query.where(Attachment.note_id.is_(None) | Attachment.note_id.not_in(hidden))
    rows = (await session.scalars(query)).all()
    return tuple(AttachmentView(a.name, a.content_type, a.url) for a in rows)


def _view(
    ticket: Ticket,
    latest: Note | None,
    viewer: Principal | None,
    *,
    notes: int = 0,
    attachments: tuple[AttachmentView, ...] = (),
) -> TicketView:
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
        actions=policy.ticket_verbs(viewer, ticket) if viewer is not None else None,
        notes=notes,
        attachments=attachments,
    )


async def ticket_view(db: Database, ticket: Ticket, viewer: Principal | None = None) -> TicketView:
    """A ticket as a card shows it to `viewer` (None: a shared card, e.g. in a channel: public notes only,
    every action offered, the server re-checking each press), with its latest public note."""
    async with db.sessions() as session:
        return await ticket_view_in(session, ticket, viewer)


def _overview(*, internal: bool) -> Select:
    # One statement says what else to read: a ticket without notes or attachments (a new one) needs nothing more.
    n, a = table_of(Note).c, table_of(Attachment).c
    notes = select(
        func.count(n.id),
        func.max(case((n.internal.is_(False), n.id))),
        select(a.id).where(a.ticket_id == bindparam("ticket")).exists().label("a"),
    ).where(n.ticket_id == bindparam("ticket"))
    return notes if internal else notes.where(n.internal.is_(False))


# Built once, on the tables' columns: a card is read on nearly every turn, and building the statement cost as much
# as running it.
_OVERVIEW = {internal: _overview(internal=internal) for internal in (False, True)}


async def ticket_view_in(session: AsyncSession, ticket: Ticket, viewer: Principal | None = None) -> TicketView:
    """`ticket_view` inside an open session (the notification planner runs inside the change's transaction)."""
    overview = _OVERVIEW[_sees_internal(viewer)]
    count, latest_id, attached = (await session.execute(overview, {"ticket": ticket.id})).one()
    latest = await session.get(Note, latest_id) if latest_id is not None else None
    attachments = await _attachments(session, ticket, viewer) if attached else ()
    return _view(ticket, latest, viewer, notes=count or 0, attachments=attachments)


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


async def ticket_views(db: Database, tickets: Sequence[Ticket], viewer: Principal | None = None) -> list[TicketView]:
    """A page of tickets as a list card shows them to `viewer`, their latest public notes read in one query."""
    latest = await latest_public_notes(db, [t.id for t in tickets])
    return [_view(ticket, latest.get(ticket.id), viewer) for ticket in tickets]


async def visible_notes(db: Database, ticket: Ticket, viewer: Principal | None) -> Sequence[NoteView]:
    """Every note of the ticket the viewer may see, oldest first."""
    async with db.sessions() as session:
        rows = (await session.scalars(_visible(select(Note), ticket, viewer).order_by(Note.id))).all()
    return [note_view(n) for n in rows]
