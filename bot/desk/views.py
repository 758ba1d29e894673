"""Turning domain rows into the plain views the card builders take, as one viewer may see them.

A viewer who is not a desk member never sees internal notes: not their text, not their count, not a hint in
the history. The card's actions are the ones the viewer may use (`policy.ticket_verbs`). A list card shows up
to ten tickets: `ticket_views` reads their latest public notes in one query (one `ticket_view` each would be
a query per ticket).

A card is made from a `TicketRead`: the ORM ticket a change returns becomes one (`read_of`), and a command that
only shows tickets reads them with one Core statement (`read_ticket`, `read_page`): each ticket with its status,
board, category, assignees (a row each) and latest public note, and for one ticket the viewer's notes overview;
the boards' workflows come from the boards the turn keeps (`bot.desk.boards.all_boards`). Loading the ORM
ticket with its relations and then the overview took 0.7 ms of a 1.3 ms `show` in-process; the Core reads took
0.2 ms in two statements (the second for the workflows and the assignees), and a list a third for the notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import policy
from bot.desk.boards import all_boards
from bot.desk.listing import SHAPES_KEPT
from bot.desk.principal import Principal
from cards.views import AttachmentView, NoteView, TicketView
from storage.db import Database
from storage.models import Attachment, Board, Category, Member, Note, Status, Ticket, table_of, ticket_assignees


def note_view(note: Note | Row[Any]) -> NoteView:
    """A note (its ORM object or a row of its columns) as a card shows it."""
    return NoteView(
        id=note.uid, author=note.author_name, text=note.text, internal=note.internal, created_at=note.created_at
    )


_Query = TypeVar("_Query", bound=Select)


def _sees_internal(viewer: Principal | None) -> bool:
    return viewer is not None and policy.may_see_internal(viewer)


def _visible(query: _Query, ticket_id: int, viewer: Principal | None) -> _Query:
    query = query.where(Note.ticket_id == ticket_id)
    return query if _sees_internal(viewer) else query.where(Note.internal.is_(False))


async def _attachments(session: AsyncSession, ticket_id: int, viewer: Principal | None) -> tuple[AttachmentView, ...]:
    query = select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
    if not _sees_internal(viewer):
        hidden = select(Note.id).where(Note.ticket_id == ticket_id, Note.internal.is_(True))
        query = query.where(Attachment.note_id.is_(None) | Attachment.note_id.not_in(hidden))
    rows = (await session.scalars(query)).all()
    return tuple(AttachmentView(a.name, a.content_type, a.url) for a in rows)


@dataclass(slots=True)
class TicketRead:
    """What a card shows of a ticket, as plain values. `latest` is its latest public note when `latest_read`
    (every viewer's: public notes are). `overview` is (visible notes, has attachments) when it was read with the
    ticket, for a viewer who does (`overview_internal`) or does not see internal notes, and then so was `latest`;
    None when it is still to be read."""

    id: int
    number: int
    title: str
    description: str
    priority: str
    requester_member_id: int | None
    requester_identity_id: int | None
    requester_name: str
    version: int
    created_at: datetime
    updated_at: datetime
    status: str
    is_closed: bool
    board: str
    category: str | None
    statuses: tuple[str, ...]
    assignees: tuple[str, ...]
    latest: NoteView | None = None
    latest_read: bool = False
    overview: tuple[int, bool] | None = None
    overview_internal: bool = False


# The ticket's own columns, which a TicketRead carries under the same names: the Core read selects them first,
# in this order, and `read_of` and the Core rows fill a TicketRead from them alike.
_OWN = ("id", "number", "title", "description", "priority", "requester_member_id", "requester_identity_id",
        "requester_name", "version", "created_at", "updated_at")


def _own(source: Any) -> dict[str, Any]:
    return {name: getattr(source, name) for name in _OWN}


def read_of(ticket: Ticket) -> TicketRead:
    """An ORM ticket (its board, status, category and assignees loaded) as a card reads it."""
    return TicketRead(
        **_own(ticket),
        status=ticket.status.name,
        is_closed=ticket.status.is_closed,
        board=ticket.board.name,
        category=ticket.category.name if ticket.category else None,
        statuses=tuple(s.name for s in ticket.board.statuses),
        assignees=tuple(m.name for m in ticket.assignees),
    )


def opened(ticket: Ticket, *, attached: bool) -> TicketRead:
    """A ticket this change just opened, as its card reads it: it has no notes yet, so its overview is known
    for every viewer and the card needs no statement of its own."""
    read = read_of(ticket)
    read.latest_read, read.overview, read.overview_internal = True, (0, attached), True
    return read


def _view(
    ticket: TicketRead,
    latest: NoteView | None,
    viewer: Principal | None,
    *,
    notes: int = 0,
    attachments: tuple[AttachmentView, ...] = (),
) -> TicketView:
    return TicketView(
        number=ticket.number,
        title=ticket.title,
        description=ticket.description,
        status=ticket.status,
        is_closed=ticket.is_closed,
        priority=ticket.priority,
        board=ticket.board,
        assignees=ticket.assignees,
        requester=ticket.requester_name,
        category=ticket.category,
        version=ticket.version,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        latest_note=latest,
        statuses=ticket.statuses,
        actions=policy.ticket_verbs(viewer, ticket) if viewer is not None else None,
        notes=notes,
        attachments=attachments,
    )


async def ticket_view(db: Database, ticket: Ticket | TicketRead, viewer: Principal | None = None) -> TicketView:
    """A ticket as a card shows it to `viewer` (None: a shared card, e.g. in a channel: public notes only,
    every action offered, the server re-checking each press), with its latest public note."""
    async with db.sessions() as session:
        return await ticket_view_in(session, ticket, viewer)


def _overview(ticket_id: Any, *, internal: bool) -> tuple[Any, Any]:
    """How many notes the viewer sees, whether there are attachments: a ticket without notes or attachments (a
    new one) needs nothing more read for its card."""
    n, a = table_of(Note).c, table_of(Attachment).c
    visible = (n.ticket_id == ticket_id,) if internal else (n.ticket_id == ticket_id, n.internal.is_(False))
    return (
        select(func.count(n.id)).where(*visible).scalar_subquery().label("notes"),
        select(a.id).where(a.ticket_id == ticket_id).exists().label("attached"),
    )


def _latest_public_id(ticket_id: Any) -> Any:
    n = table_of(Note).c
    return select(func.max(n.id)).where(n.ticket_id == ticket_id, n.internal.is_(False)).scalar_subquery()


# The latest public note's columns in a ticket's row, under these names (`_latest_of` reads them back).
_LATEST = {"uid": "latest_uid", "author_name": "latest_author", "text": "latest_text", "created_at": "latest_at"}


def _read(*, overview: bool | None) -> Select:
    """The tickets' own columns with their status, board, category, latest public note and assignees (a row for
    each, by name; one row with none), with the notes overview for a viewer who does (True) or does not (False)
    see internal notes, or without one (None: a list card needs none)."""
    t, s, b, c, m = (table_of(model) for model in (Ticket, Status, Board, Category, Member))
    tc, a, n = t.c, ticket_assignees, table_of(Note).alias("latest_note")  # the subqueries count `notes` themselves
    columns = (*(tc[name] for name in _OWN), tc.board_id)
    latest = (n.c[name].label(label) for name, label in _LATEST.items())
    extra = () if overview is None else _overview(tc.id, internal=overview)
    joined = (
        t.join(s, s.c.id == tc.status_id)
        .join(b, b.c.id == tc.board_id)
        .outerjoin(c, c.c.id == tc.category_id)
        .outerjoin(n, n.c.id == _latest_public_id(tc.id))
        .outerjoin(a, a.c.ticket_id == tc.id)
        .outerjoin(m, m.c.id == a.c.member_id)
    )
    return select(
        *columns, s.c.name.label("status"), s.c.is_closed, b.c.name.label("board"), c.c.name.label("category"),
        *latest, m.c.name.label("assignee"), *extra,
    ).select_from(joined)


def _overview_statement(internal: bool) -> Select:
    overview = _overview(bindparam("ticket"), internal=internal)
    return select(overview[0], _latest_public_id(bindparam("ticket")).label("latest_note_id"), overview[1])


def _latest_public_notes() -> Select:
    """Each ticket's latest public note: (ticket id, then the columns `note_view` reads)."""
    n = table_of(Note).c
    latest = (
        select(func.max(n.id))
        .where(n.ticket_id.in_(bindparam("tickets", expanding=True)), n.internal.is_(False))
        .group_by(n.ticket_id)
    )
    return select(n.ticket_id, n.uid, n.author_name, n.text, n.internal, n.created_at).where(n.id.in_(latest))


# Built once, on the tables' columns: a card is read on nearly every turn, and building the statements cost as
# much as running them.
_ASSIGNEE_ORDER = table_of(Member).c.name
_OVERVIEW = {internal: _overview_statement(internal) for internal in (False, True)}
_READ = {
    internal: _read(overview=internal).where(table_of(Ticket).c.number == bindparam("number")).order_by(_ASSIGNEE_ORDER)
    for internal in (False, True)
}
_READ_PAGE = _read(overview=None).order_by(table_of(Ticket).c.number.desc(), _ASSIGNEE_ORDER)
_LATEST_PUBLIC_NOTES = _latest_public_notes()


def _latest_of(row: Any) -> NoteView | None:
    if row.latest_uid is None:
        return None
    return NoteView(id=row.latest_uid, author=row.latest_author, text=row.latest_text, internal=False, created_at=row.latest_at)


async def _reads(session: AsyncSession, rows: Sequence[Any], **overview: Any) -> list[TicketRead]:
    """The tickets of `rows` (a row per assignee, as `_read` gives them), in their order, with their boards'
    workflows from the boards the session keeps."""
    workflows = {board.id: tuple(s.name for s in board.statuses) for board in await all_boards(session)} if rows else {}
    reads: dict[int, TicketRead] = {}
    assignees: dict[int, list[str]] = {}
    for row in rows:
        if row.id not in reads:
            reads[row.id] = TicketRead(
                # The row's first columns (the row is longer); by name it took 80 µs for a page of eleven, this 12.
                **dict(zip(_OWN, row, strict=False)),
                status=row.status,
                is_closed=row.is_closed,
                board=row.board,
                category=row.category,
                statuses=workflows.get(row.board_id, ()),
                assignees=(),
                latest=_latest_of(row),
                latest_read=True,
                **overview,
            )
            assignees[row.id] = []
        if row.assignee is not None:
            assignees[row.id].append(row.assignee)
    for ticket_id, names in assignees.items():
        reads[ticket_id].assignees = tuple(names)
    return list(reads.values())


async def read_ticket(session: AsyncSession, number: int, viewer: Principal | None) -> TicketRead | None:
    """The ticket with this number as `viewer`'s card shows it, with that viewer's notes overview; None when
    there is none."""
    internal = _sees_internal(viewer)
    rows = (await session.execute(_READ[internal], {"number": number})).all()
    if not rows:
        return None
    overview = (rows[0].notes, bool(rows[0].attached))
    return (await _reads(session, rows, overview=overview, overview_internal=internal))[0]


@lru_cache(maxsize=SHAPES_KEPT)
def _page_of(ids: Select) -> Select:
    # One per list statement (`bot.desk.listing` keeps one per shape of filters, as many as this).
    return _READ_PAGE.where(table_of(Ticket).c.id.in_(ids))


async def read_page(session: AsyncSession, ids: Select, values: dict[str, Any]) -> list[TicketRead]:
    """The tickets the list statement `ids` (run with `values`) finds, newest first, as list cards show them:
    one statement however many there are, the list's own (`_read`)."""
    return await _reads(session, (await session.execute(_page_of(ids), values)).all())


def _overview_for(read: TicketRead, internal: bool) -> tuple[int, bool] | None:
    """The overview `read` carries if it is the one a viewer who does (or does not) see internal notes gets;
    None when it is to be read (with it, `read.latest` was read). One read for a viewer who sees internal notes
    that found none means no note at all: it is every viewer's."""
    if read.overview is None:
        return None
    fits = read.overview_internal == internal or (read.overview_internal and read.overview[0] == 0)
    return read.overview if fits else None


async def ticket_view_in(session: AsyncSession, ticket: Ticket | TicketRead, viewer: Principal | None = None) -> TicketView:
    """`ticket_view` inside an open session (the notification planner runs inside the change's transaction)."""
    read = ticket if isinstance(ticket, TicketRead) else read_of(ticket)
    internal = _sees_internal(viewer)
    overview = _overview_for(read, internal)
    if overview is None:
        count, latest_id, attached = (await session.execute(_OVERVIEW[internal], {"ticket": read.id})).one()
        note = await session.get(Note, latest_id) if latest_id is not None else None
        latest = note_view(note) if note else None
    else:
        (count, attached), latest = overview, read.latest
    attachments = await _attachments(session, read.id, viewer) if attached else ()
    return _view(read, latest, viewer, notes=count or 0, attachments=attachments)


async def latest_public_notes(db: Database, ticket_ids: Sequence[int]) -> dict[int, NoteView]:
    """The latest public note of each of these tickets (by ticket id), in one query; tickets without one are absent."""
    if not ticket_ids:
        return {}
    async with db.sessions() as session:
        rows = (await session.execute(_LATEST_PUBLIC_NOTES, {"tickets": list(ticket_ids)})).all()
    return {row.ticket_id: note_view(row) for row in rows}


async def ticket_views(
    db: Database, tickets: Sequence[Ticket | TicketRead], viewer: Principal | None = None
) -> list[TicketView]:
    """A page of tickets as a list card shows them to `viewer`, the latest public notes not read with them read
    in one query."""
    reads = [t if isinstance(t, TicketRead) else read_of(t) for t in tickets]
    latest = await latest_public_notes(db, [t.id for t in reads if not t.latest_read])
    return [_view(read, read.latest if read.latest_read else latest.get(read.id), viewer) for read in reads]


async def visible_notes(db: Database, ticket: Ticket, viewer: Principal | None) -> Sequence[NoteView]:
    """Every note of the ticket the viewer may see, oldest first."""
    async with db.sessions() as session:
        rows = (await session.scalars(_visible(select(Note), ticket.id, viewer).order_by(Note.id))).all()
    return [note_view(n) for n in rows]
