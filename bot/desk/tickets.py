"""The ticket domain: create, change, assign, note, close and reopen tickets.

Every change is one transaction that writes the ticket (bumping its version), one timeline entry and one
ticket event. Callers may name the version they saw: a stale one is refused with `Conflict` and changes
nothing. Permissions (SPEC §3) are checked here, so chat, CLI and API share them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Unpack

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from bot.desk import policy
from bot.desk.boards import all_boards, board_called
from bot.desk.errors import Conflict, Invalid, NotFound, Unchanged
from bot.desk.events import EventPlanner
from bot.desk.listing import ListFilters, listing
from bot.desk.principal import Principal
from bot.desk.priorities import normalize_priority
from bot.facts import DESCRIPTION_MAX, NOTE_MAX, PRIORITIES, TICKET_NUMBER_MAX, TITLE_MAX
from storage.db import Database
from storage.direct import Direct
from storage.models import Attachment as AttachmentRow
from storage.models import (
    Board,
    Category,
    Counter,
    Member,
    Note,
    Status,
    Ticket,
    TicketEventRow,
    TimelineEntry,
    table_of,
    ticket_assignees,
    utcnow,
)

if TYPE_CHECKING:
    from bot.desk.views import TicketRead
    from bot.seam import Attachment

SHOWN_DIGITS = 40
# A create writes its rows with these Core INSERTs rather than through the ORM's flush (the flush of a new
# ticket, its timeline entry and its event cost 1.1 ms of a 5.3 ms create in-process), sent directly on SQLite
# (`storage.direct`), each with the columns every create gives.
_INSERT_TICKET = Direct(insert(table_of(Ticket)).returning(table_of(Ticket).c.id), (
    "number", "board_id", "status_id", "category_id", "title", "description", "priority", "requester_member_id",
    "requester_identity_id", "requester_name", "origin_platform", "origin_conversation", "origin_message",
    "external_id", "version", "created_at", "updated_at",
))
_INSERT_TIMELINE = Direct(insert(table_of(TimelineEntry)), ("ticket_id", "actor", "action", "changes", "at"))
_INSERT_EVENT = Direct(insert(table_of(TicketEventRow)).returning(table_of(TicketEventRow).c.id), (
    "ticket_id", "kind", "changes", "actor_member_id", "actor_identity_id", "actor_name", "note_id", "created_at",
))
_COUNTERS = table_of(Counter)
_NEXT_NUMBER = Direct(  # on the table, not the class: an ORM UPDATE first looks for the rows it changes in the session
    update(_COUNTERS).where(_COUNTERS.c.name == "ticket_number").values(value=_COUNTERS.c.value + 1).returning(_COUNTERS.c.value)
)
_BY_NUMBER = select(Ticket).where(Ticket.number == bindparam("number"))
# The ticket, its assignees and its board's workflow in one statement (the mapping's eager loads make it three:
# 1.0 ms of a `show`, 0.6 ms as one); built once, as building it cost a third of running it.
_WHOLE_TICKET = _BY_NUMBER.options(joinedload(Ticket.assignees), joinedload(Ticket.board).joinedload(Board.statuses))
# populate_existing: a ticket this turn's session read before the lock (to check who may see it) is refreshed
# from the locked row, or its version would be stale and the UPDATE would find no row.
_LOCKED = _BY_NUMBER.with_for_update(of=Ticket).execution_options(populate_existing=True)


@dataclass(frozen=True)
class Origin:
    """Where a ticket was opened: platform, conversation and message."""

    platform: str | None = None
    conversation: str | None = None
    message: str | None = None


def _shown(number: int) -> str:
    """A number for a message: in full unless it is too long to read (Python will not print past 4,300 digits)."""
    return str(number) if abs(number) < 10**SHOWN_DIGITS else f"(a number of over {SHOWN_DIGITS} digits)"


def clean_title(title: str) -> str:
    """The title with its white space folded; raises Invalid when it is empty or too long."""
    title = " ".join(title.split())
    if not title:
        raise Invalid("A ticket needs a title.")
    if len(title) > TITLE_MAX:
        raise Invalid(f"The title is {len(title)} characters long; at most {TITLE_MAX} are allowed.")
    return title


def _priority(word: str) -> str:
    priority = normalize_priority(word)
    if priority is None:
        raise Invalid(f"'{word}' is not a priority. Use one of: {', '.join(PRIORITIES)}.")
    return priority


def _attach(session: AsyncSession, ticket: Ticket, note: Note | None, attachments: Sequence[Attachment]) -> None:
    for a in attachments:
        session.add(
            AttachmentRow(
                ticket_id=ticket.id,
                note_id=note.id if note else None,
                name=a.name[:255] or "file",
                content_type=a.content_type[:100],
                url=a.url[:2000],
            )
        )


def _known(session: AsyncSession, ticket: Ticket) -> None:
    """Put a ticket whose row was just inserted (every column and relationship set) into the session as a loaded
    one, so that a change later in the same transaction is an UPDATE of that row."""
    make_transient_to_detached(ticket)
    session.add(ticket)


def _change(field: str, old: Any, new: Any) -> dict[str, Any]:
    return {"field": field, "old": old, "new": new}


class TicketService:
    """Reads and changes tickets. Each public method that changes something is one transaction.

    `planner`, when set (by the composition root), is handed every ticket event inside the change's
    transaction, so the notifications it writes commit or roll back with the change.
    """

    def __init__(self, db: Database, planner: EventPlanner | None = None) -> None:
        self.db = db
        self.planner = planner

    async def default_board(self, session: AsyncSession) -> Board:
        """The first board: where tickets go when no board is named."""
        boards = await all_boards(session)
        if not boards:
            raise NotFound("There is no board yet; add one with `ticketbot boards add`.")
        return boards[0]

    async def board_named(self, session: AsyncSession, name: str | None) -> Board:
        """The board called `name` (case-insensitive), or the default board when `name` is empty."""
        if not name:
            return await self.default_board(session)
        boards = await all_boards(session)
        board = board_called(boards, name)
        if board is None:
            raise NotFound(f"There is no board '{name}'. Boards: {', '.join(b.name for b in boards)}.")
        return board

    async def _category(self, session: AsyncSession, board: Board, name: str | None) -> Category | None:
        if not name:
            return None
        path = [part.strip().lower() for part in name.split("/") if part.strip()]
        parent_id: int | None = None
        category = None
        for part in path:
            category = await session.scalar(
                select(Category).where(
                    func.lower(Category.name) == part,
                    Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id,
                    or_(Category.board_id.is_(None), Category.board_id == board.id),
                )
            )
            if category is None:
                raise NotFound(f"There is no category '{name}' on board {board.name}.")
            parent_id = category.id
        return category

    @staticmethod
    def _status(board: Board, name: str) -> Status:
        wanted = " ".join(name.split()).lower()
        for status in board.statuses:
            if status.name.lower() == wanted:
                return status
        choices = ", ".join(s.name for s in board.statuses)
        raise Invalid(f"'{name}' is not a status of {board.name}. Choose one of: {choices}.")

    @staticmethod
    def _by_number(number: int) -> dict[str, int]:
        """The parameters of a query for one ticket; raises NotFound for a number no ticket can have
        (`TICKET_NUMBER_MAX`: the column is a 32-bit INTEGER on PostgreSQL, and the database would refuse a
        larger one with an error)."""
        if not 0 < number <= TICKET_NUMBER_MAX:
            raise NotFound(f"There is no ticket #{_shown(number)}.")
        return {"number": number}

    async def read(self, number: int, viewer: Principal | None) -> TicketRead:
        """The ticket with this number as `viewer`'s card shows it, read without ORM objects, for commands
        that only show it (`views.read_ticket`)."""
        from bot.desk.views import read_ticket  # the views (and the card model) stay out of the CLI's list path

        async with self.db.sessions() as session:
            ticket = await read_ticket(session, self._by_number(number)["number"], viewer)
        if ticket is None:
            raise NotFound(f"There is no ticket #{number}.")
        return ticket

    async def _load(self, session: AsyncSession, number: int, expected_version: int | None) -> Ticket:
        ticket = await session.scalar(_LOCKED, self._by_number(number))
        if ticket is None:
            raise NotFound(f"There is no ticket #{number}.")
        if expected_version is not None and ticket.version != expected_version:
            raise Conflict(f"Ticket #{number} changed since you saw it (version {expected_version}, now {ticket.version}).", ticket)
        # Touching the row here makes every change one UPDATE, so the version goes up by exactly one.
        ticket.updated_at = utcnow()
        return ticket

    async def _record(
        self,
        session: AsyncSession,
        ticket: Ticket,
        principal: Principal,
        action: str,
        changes: list[dict[str, Any]],
        note: Note | None = None,
    ) -> None:
        number = ticket.number  # read before the flush: after a failed one the session cannot load attributes
        try:
            await session.flush()
        except StaleDataError as exc:
            raise Conflict(f"Ticket #{number} was changed by someone else at the same time; try again.") from exc
        now = utcnow()
        await _INSERT_TIMELINE.run(
            session, {"ticket_id": ticket.id, "actor": principal.name, "action": action, "changes": changes, "at": now}
        )
        values = {
            "ticket_id": ticket.id,
            "kind": "created" if action == "created" else "updated",
            "changes": changes,
            "actor_member_id": principal.member_id,
            "actor_identity_id": principal.identity_id,
            "actor_name": principal.name,
            "note_id": note.id if note else None,
            "created_at": now,
        }
        event = TicketEventRow(id=(await _INSERT_EVENT.run(session, values)).scalar_one(), **values)
        if self.planner is not None:
            await self.planner(session, event, ticket, note)

    @staticmethod
    async def _write_note(
        session: AsyncSession,
        ticket: Ticket,
        principal: Principal,
        text: str,
        *,
        internal: bool,
        external_id: str | None = None,
    ) -> tuple[Note, dict[str, Any]]:
        """Add a note row; returns it and the change entry that records it."""
        note = Note(
            uid=str(uuid.uuid4()),
            ticket_id=ticket.id,
            author_member_id=principal.member_id,
            author_name=principal.name,
            text=text,
            internal=internal,
            external_id=external_id,
        )
        session.add(note)
        await session.flush()
        return note, _change("note", None, note.uid) | {"internal": internal}

    async def _next_number(self, session: AsyncSession) -> int:
        # One UPDATE ... RETURNING: the row lock (PostgreSQL) or the single writer (SQLite) serialises it,
        # and a rolled-back create gives its number back, so numbers have no gaps.
        return (await _NEXT_NUMBER.run(session)).scalar_one()

    async def create(
        self,
        principal: Principal,
        *,
        title: str,
        description: str = "",
        priority: str | None = None,
        board: str | None = None,
        category: str | None = None,
        requester: Principal | None = None,
        origin: Origin | None = None,
        attachments: Sequence[Attachment] = (),
        assignees: Sequence[Member] = (),
        external_id: str | None = None,
    ) -> Ticket:
        """Open a ticket on `board` (default board when empty) for `requester` (the principal by default).

        `assignees` are assigned in the same change; `external_id` is the ticket's id in an external system.
        Every refusal (title, description, board, category) comes before the first write, so the change needs
        no savepoint (`Database.writing`); a failure after it, such as a duplicate `external_id`, rolls back the
        unit it runs in, or its own transaction outside one."""
        title = clean_title(title)
        if len(description) > DESCRIPTION_MAX:
            raise Invalid(f"The description is too long; at most {DESCRIPTION_MAX} characters are allowed.")
        requester = requester or principal
        origin = origin or Origin()
        async with self.db.writing() as session:
            board_row = await self.board_named(session, board)
            chosen_priority = _priority(priority) if priority else board_row.default_priority
            category_row = await self._category(session, board_row, category)
            first_status = next(s for s in board_row.statuses if not s.is_closed)
            members = [m for m in [await session.get(Member, m.id) for m in assignees] if m is not None]
            now = utcnow()
            values = {
                "number": await self._next_number(session),
                "board_id": board_row.id,
                "status_id": first_status.id,
                "category_id": category_row.id if category_row else None,
                "title": title,
                "description": description.strip(),
                "priority": chosen_priority,
                "requester_member_id": requester.member_id,
                "requester_identity_id": requester.identity_id,
                "requester_name": requester.name,
                "origin_platform": origin.platform,
                "origin_conversation": origin.conversation,
                "origin_message": origin.message,
                "external_id": external_id,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            ticket = Ticket(id=(await _INSERT_TICKET.run(session, values)).scalar_one(), **values)
            if members:
                await session.execute(insert(ticket_assignees), [{"ticket_id": ticket.id, "member_id": m.id} for m in members])
            _known(session, ticket)
            # Set as loaded, after `_known`: the board, its status and category may be the kept ones (`all_boards`),
            # which the add's cascade would attach to this session; and set as attributes, the category and the
            # assignees cost the ORM's change events and history (2.6% of a create's serve CPU) for rows written.
            set_committed_value(ticket, "board", board_row)
            set_committed_value(ticket, "status", first_status)
            set_committed_value(ticket, "category", category_row)
            set_committed_value(ticket, "assignees", members)
            changes = [
                _change("title", None, title),
                _change("status", None, first_status.name),
                _change("priority", None, chosen_priority),
                _change("board", None, board_row.name),
            ]
            if category_row is not None:
                changes.append(_change("category", None, category_row.name))
            _attach(session, ticket, None, attachments)
            if assignees:
                changes.append(_change("assignees", [], sorted(m.name for m in ticket.assignees)))
            await self._record(session, ticket, principal, "created", changes)
        return ticket

    async def by_external_id(self, external_id: str) -> Ticket | None:
        """The ticket an external system knows by this id, if any."""
        async with self.db.sessions() as session:
            return await session.scalar(select(Ticket).where(Ticket.external_id == external_id))

    async def get(self, number: int) -> Ticket:
        """The ticket with this number, with its board's workflow and its assignees loaded."""
        async with self.db.sessions() as session:
            ticket = await session.scalar(_WHOLE_TICKET, self._by_number(number))
            if ticket is None:
                raise NotFound(f"There is no ticket #{number}.")
            return ticket

    async def list(self, **filters: Unpack[ListFilters]) -> Sequence[Ticket]:
        """Tickets, newest first, filtered by board, status name, assignee, requester, openness and words
        (`ListFilters`)."""
        async with self.db.sessions() as session:
            statement, values = listing(filters, sqlite=self.db.dialect == "sqlite")
            return (await session.scalars(statement, values)).unique().all()

    async def list_read(self, **filters: Unpack[ListFilters]) -> Sequence[TicketRead]:
        """`list` (the same filters) as list cards show the tickets, read without ORM objects: loading a page
        of eleven tickets with their relations took about half of a 4.2 ms `my tickets` in-process."""
        from bot.desk.views import read_page  # the views (and the card model) stay out of the CLI's list path

        async with self.db.sessions() as session:
            statement, values = listing(filters, sqlite=self.db.dialect == "sqlite", ids_only=True)
            return await read_page(session, statement, values)

    async def update(
        self,
        principal: Principal,
        number: int,
        *,
        expected_version: int | None = None,
        title: str | None = None,
        description: str | None = None,
        priority: str | None = None,
        status: str | None = None,
        category: str | None = None,
    ) -> Ticket:
        """Change any of the fields. Only what differs is recorded; nothing to change is an error."""
        async with self.db.transaction() as session:
            ticket = await self._load(session, number, expected_version)
            policy.require_staff(principal, f"change ticket #{ticket.number}")
            changes = []
            new_title = clean_title(title) if title is not None else ticket.title
            if new_title != ticket.title:
                changes.append(_change("title", ticket.title, new_title))
                ticket.title = new_title
            if description is not None and description.strip() != ticket.description:
                if len(description) > DESCRIPTION_MAX:
                    raise Invalid(f"The description is too long; at most {DESCRIPTION_MAX} characters are allowed.")
                changes.append(_change("description", ticket.description, description.strip()))
                ticket.description = description.strip()
            new_priority = _priority(priority) if priority is not None else ticket.priority
            if new_priority != ticket.priority:
                changes.append(_change("priority", ticket.priority, new_priority))
                ticket.priority = new_priority
            if status is not None:
                new_status = self._status(ticket.board, status)
                if new_status.id != ticket.status_id:
                    changes.append(_change("status", ticket.status.name, new_status.name))
                    ticket.status = new_status
            if category is not None:
                new_category = await self._category(session, ticket.board, category)
                if (new_category.id if new_category else None) != ticket.category_id:
                    old = ticket.category.name if ticket.category else None
                    changes.append(_change("category", old, new_category.name if new_category else None))
                    ticket.category = new_category
            if not changes:
                raise Unchanged(f"Nothing to change on ticket #{number}: it already has those values.")
            await self._record(session, ticket, principal, "updated", changes)
        return await self.get(number)

    async def set_status(self, principal: Principal, number: int, status: str, *, expected_version: int | None = None) -> Ticket:
        """Move the ticket to another status of its board's workflow."""
        return await self.update(principal, number, status=status, expected_version=expected_version)

    async def assign(
        self, principal: Principal, number: int, members: Sequence[Member], *, expected_version: int | None = None
    ) -> Ticket:
        """Add members to the ticket's assignees (a ticket may have several)."""
        return await self._assignees(principal, number, members, add=True, expected_version=expected_version)

    async def unassign(
        self, principal: Principal, number: int, members: Sequence[Member], *, expected_version: int | None = None
    ) -> Ticket:
        """Remove members from the ticket's assignees."""
        return await self._assignees(principal, number, members, add=False, expected_version=expected_version)

    async def _assignees(
        self, principal: Principal, number: int, members: Sequence[Member], *, add: bool, expected_version: int | None
    ) -> Ticket:
        async with self.db.transaction() as session:
            ticket = await self._load(session, number, expected_version)
            policy.require_staff(principal, f"assign ticket #{ticket.number}")
            before = [m.name for m in ticket.assignees]
            current = {m.id for m in ticket.assignees}
            wanted = [await session.get(Member, m.id) for m in members]
            if add:
                new = [m for m in wanted if m is not None and m.id not in current]
                if not new:
                    raise Invalid(f"Ticket #{number} is already assigned to {', '.join(m.name for m in members)}.")
                ticket.assignees.extend(new)
            else:
                gone = {m.id for m in wanted if m is not None and m.id in current}
                if not gone:
                    raise Invalid(f"{', '.join(m.name for m in members)} is not assigned to ticket #{number}.")
                ticket.assignees = [m for m in ticket.assignees if m.id not in gone]
            after = sorted(m.name for m in ticket.assignees)
            await self._record(
                session, ticket, principal, "assigned" if add else "unassigned", [_change("assignees", before, after)]
            )
        return await self.get(number)

    async def add_note(
        self,
        principal: Principal,
        number: int,
        text: str,
        *,
        internal: bool = False,
        expected_version: int | None = None,
        attachments: Sequence[Attachment] = (),
        external_id: str | None = None,
    ) -> tuple[Ticket, Note]:
        """Add a note. Requesters who are not members may add public notes to their own tickets.

        `external_id` is the note's id in an external system: a second note with it is refused (`Conflict`)."""
        text = text.strip()
        if not text:
            raise Invalid("A note needs some text.")
        if len(text) > NOTE_MAX:
            raise Invalid(f"The note is too long; at most {NOTE_MAX} characters are allowed.")
        async with self.db.transaction() as session:
            ticket = await self._load(session, number, expected_version)
            policy.require_note(principal, ticket, internal=internal)
            if external_id is not None and await session.scalar(
                select(Note.id).where(Note.ticket_id == ticket.id, Note.external_id == external_id)
            ):
                raise Conflict(f"Ticket #{number} already has the note {external_id}.")
            note, change = await self._write_note(
                session, ticket, principal, text, internal=internal, external_id=external_id
            )
            _attach(session, ticket, note, attachments)
            await self._record(session, ticket, principal, "note", [change], note)
        return await self.get(number), note

    async def close(
        self, principal: Principal, number: int, reason: str | None = None, *, expected_version: int | None = None
    ) -> Ticket:
        """Close the ticket (the board's last closed status), with an optional reason kept as a public note."""
        async with self.db.transaction() as session:
            ticket = await self._load(session, number, expected_version)
            policy.require_close(principal, ticket)
            if ticket.status.is_closed:
                raise Invalid(f"Ticket #{number} is already {ticket.status.name}.")
            closed = [s for s in ticket.board.statuses if s.is_closed][-1]
            changes = [_change("status", ticket.status.name, closed.name)]
            ticket.status = closed
            note = None
            if reason and reason.strip():
                note, change = await self._write_note(session, ticket, principal, reason.strip()[:NOTE_MAX], internal=False)
                changes.append(change)
            await self._record(session, ticket, principal, "closed", changes, note)
        return await self.get(number)

    async def reopen(self, principal: Principal, number: int, *, expected_version: int | None = None) -> Ticket:
        """Reopen a closed ticket: back to the board's first open status."""
        async with self.db.transaction() as session:
            ticket = await self._load(session, number, expected_version)
            policy.require_close(principal, ticket, verb="reopen")
            if not ticket.status.is_closed:
                raise Invalid(f"Ticket #{number} is open ({ticket.status.name}).")
            reopened = next(s for s in ticket.board.statuses if not s.is_closed)
            changes = [_change("status", ticket.status.name, reopened.name)]
            ticket.status = reopened
            await self._record(session, ticket, principal, "reopened", changes)
        return await self.get(number)

    async def history(self, number: int) -> Sequence[TimelineEntry]:
        """The ticket's timeline, oldest first."""
        ticket = await self.get(number)
        async with self.db.sessions() as session:
            return (
                await session.scalars(
                    select(TimelineEntry).where(TimelineEntry.ticket_id == ticket.id).order_by(TimelineEntry.id)
                )
            ).all()

    async def notes(self, number: int, *, include_internal: bool = True) -> Sequence[Note]:
        """The ticket's notes, oldest first."""
        ticket = await self.get(number)
        query = select(Note).where(Note.ticket_id == ticket.id).order_by(Note.id)
        if not include_internal:
            query = query.where(Note.internal.is_(False))
        async with self.db.sessions() as session:
            return (await session.scalars(query)).all()

    async def by_origin(self, message: str) -> Ticket | None:
        """The ticket opened from this origin message (e.g. a draft), if one was."""
        async with self.db.sessions() as session:
            return await session.scalar(select(Ticket).where(Ticket.origin_message == message).limit(1))
