"""Boards, their status workflows and category trees."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.desk.errors import Conflict, Invalid, NotFound
from bot.desk.priorities import normalize_priority
from storage.db import BOARDS_VERSION, Database, kept_or_read
from storage.models import Board, Category, Status, Ticket

DEFAULT_WORKFLOW: tuple[tuple[str, bool], ...] = (
    ("New", False),
    ("In Progress", False),
    ("Waiting", False),
    ("Resolved", True),
    ("Closed", True),
)


BOARDS_KEY = "ticketbot.boards"


def _usable_on(board_id: Any) -> ColumnElement[bool]:
    """Which categories a board offers: its own and the shared ones (`board_id` a value or a column)."""
    return (Category.board_id.is_(None)) | (Category.board_id == board_id)


# Built once: a statement built per call costs its construction and its cache key on every read.
_BOARDS = (
    select(
        Board,
        exists().where(_usable_on(Board.id), Category.parent_id.is_(None)).correlate(Board).label("categorized"),
    )
    .options(joinedload(Board.statuses))
    .order_by(Board.id)
)


def _categories_under(parent: ColumnElement[bool]) -> Select[int, str]:
    return select(Category.id, Category.name).where(_usable_on(bindparam("board_id")), parent).order_by(Category.name)


_TOP = _categories_under(Category.parent_id.is_(None))
_CHILDREN = _categories_under(Category.parent_id == bindparam("parent_id"))


@dataclass(frozen=True)
class _Read:
    """A session's boards, and which of them offer top-level categories (the create dialog asks for a category
    only on those, so on a board without any it needs no statement to know there is nothing to ask)."""

    boards: Sequence[Board]
    categorized: frozenset[int]


async def _read(session: AsyncSession) -> _Read:
    read: _Read | None = session.info.get(BOARDS_KEY)
    if read is None:
        read = session.info[BOARDS_KEY] = await kept_or_read(session, BOARDS_VERSION, partial(_read_boards, session))
    return read


async def _read_boards(session: AsyncSession, keeping: bool) -> _Read:
    rows = (await session.execute(_BOARDS)).unique().all()
    read = _Read(tuple(board for board, _ in rows), frozenset(board.id for board, categorized in rows if categorized))
    if keeping:
        for board in read.boards:
            session.expunge(board)  # with its statuses (the relationship's cascade)
    return read


async def all_boards(session: AsyncSession) -> Sequence[Board]:
    """Every board in creation order with its statuses, read once per session in one statement (with the
    workflows loaded apart it was two): one turn asks several times (each step of the create dialog, then the
    create itself), and a change to boards or categories in the session forgets it.

    Where the turn read the boards' version ahead (`storage.db.BOARDS_VERSION`, in its opening read), they are kept
    across turns while that version stays the same, and the statement is not sent at all: it and the loading of
    its objects were 11% of a chat create's CPU in the core. Kept boards are in no session and shared: read
    them, never change them or attach them to a session (`TicketService.create` sets them on the new ticket
    as loaded, without the cascade that would attach them)."""
    return (await _read(session)).boards


def board_called(boards: Sequence[Board], name: str) -> Board | None:
    """The board called `name`, case-insensitive."""
    wanted = name.strip().lower()
    return next((b for b in boards if b.name.lower() == wanted), None)


@dataclass(frozen=True)
class ListFilter:
    """What `list [board] [status]` asks for: a board and a status, each optional."""

    board: str | None = None
    status: str | None = None


def _workflow_ok(statuses: Sequence[tuple[str, bool]]) -> None:
    if len({name.lower() for name, _ in statuses}) != len(statuses):
        raise Invalid("Status names must be different from each other.")
    if all(is_closed for _, is_closed in statuses) or not any(is_closed for _, is_closed in statuses):
        raise Invalid("A workflow needs at least one open and one closed status (mark closed ones with --closed).")


def _name(text: str, what: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise Invalid(f"A {what} needs a name.")
    return name


class BoardService:
    """Reads and changes boards, statuses and categories; routes a problem to its board; reads list filters.

    Deleting refuses what tickets still use (a board with tickets, a status a ticket is in) with `Conflict`,
    and a workflow always keeps at least one open and one closed status.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    @asynccontextmanager
    async def _changing(self) -> AsyncIterator[AsyncSession]:
        """A transaction that changes boards, statuses or categories (the session's boards are read anew)."""
        async with self.db.transaction() as session:
            session.info.pop(BOARDS_KEY, None)
            try:
                yield session
            finally:
                session.info.pop(BOARDS_KEY, None)

    async def list(self) -> Sequence[Board]:
        """Every board in creation order, with its statuses."""
        async with self.db.sessions() as session:
            return await all_boards(session)

    async def get(self, name: str) -> Board:
        """The board called `name` (case-insensitive), with its statuses."""
        async with self.db.sessions() as session:
            board = board_called(await all_boards(session), name)
            if board is None:
                raise NotFound(f"There is no board '{name}'.")
            return board

    async def route(self, text: str) -> Board:
        """The board whose keywords the text uses (whole words), else the first board."""
        boards = await self.list()
        if not boards:
            raise NotFound("There is no board yet; add one with `ticketbot boards add`.")
        words = set(text.lower().split())
        return next((b for b in boards if any(k.lower() in words for k in b.keywords)), boards[0])

    async def list_filter(self, text: str) -> ListFilter:
        """The board and status named in `list …` words; raises Invalid for words that are neither."""
        words = text.lower()
        boards = await self.list()
        board = next((b for b in sorted(boards, key=lambda b: -len(b.name)) if b.name.lower() in words), None)
        if board is not None:
            words = words.replace(board.name.lower(), " ")
        statuses = {s.name.lower(): s.name for b in boards for s in b.statuses}
        status = next((statuses[s] for s in sorted(statuses, key=len, reverse=True) if s in words), None)
        if status is not None:
            words = words.replace(status.lower(), " ")
        rest = words.strip()
        if rest and rest not in {"all", "open"}:
            example = f"list {boards[0].name} new" if boards else "list new"
            raise Invalid(f"I can list by board and status; '{rest}' is neither. Try `{example}`.")
        return ListFilter(board.name if board else None, status)

    async def add(
        self,
        name: str,
        *,
        statuses: Sequence[str] = (),
        closed: Sequence[str] = (),
        default_priority: str = "medium",
        keywords: Sequence[str] = (),
    ) -> Board:
        """Add a board. Without `statuses` it gets the default workflow; `closed` names its closed statuses."""
        name = " ".join(name.split())
        if not name:
            raise Invalid("A board needs a name.")
        priority = normalize_priority(default_priority)
        if priority is None:
            raise Invalid(f"'{default_priority}' is not a priority.")
        if statuses:
            closed_names = {c.strip().lower() for c in closed}
            workflow = [(s.strip(), s.strip().lower() in closed_names) for s in statuses if s.strip()]
            _workflow_ok(workflow)
        else:
            workflow = list(DEFAULT_WORKFLOW)
        board = Board(
            name=name,
            default_priority=priority,
            keywords=[k.strip().lower() for k in keywords if k.strip()],
            statuses=[Status(name=s, position=i, is_closed=c) for i, (s, c) in enumerate(workflow)],
        )
        try:
            async with self._changing() as session:
                if await session.scalar(select(Board.id).where(func.lower(Board.name) == name.lower())):
                    raise Conflict(f"A board called {name} exists already.")
                session.add(board)
        except IntegrityError as exc:
            raise Conflict(f"A board called {name} exists already.") from exc
        return board

    async def add_category(self, board: str | None, path: str) -> Category:
        """Add a category path like `Hardware/Printers` (parents are created as needed)."""
        parts = [p.strip() for p in path.split("/") if p.strip()]
        if not parts:
            raise Invalid("A category needs a name.")
        async with self._changing() as session:
            board_id = None
            if board:
                board_row = await session.scalar(select(Board).where(func.lower(Board.name) == board.strip().lower()))
                if board_row is None:
                    raise NotFound(f"There is no board '{board}'.")
                board_id = board_row.id
            parent_id: int | None = None
            category: Category | None = None
            for part in parts:
                category = await session.scalar(
                    select(Category).where(
                        Category.board_id.is_(None) if board_id is None else Category.board_id == board_id,
                        Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id,
                        func.lower(Category.name) == part.lower(),
                    )
                )
                if category is None:
                    category = Category(board_id=board_id, parent_id=parent_id, name=part)
                    session.add(category)
                    await session.flush()
                parent_id = category.id
            assert category is not None  # parts is not empty
            return category

    async def categories(self, board_id: int, parent_id: int | None = None) -> Sequence[Row[int, str]]:
        """The ids and names of the categories directly under `parent_id` (top level when None) usable on a board,
        by name. Columns, not ORM objects: the create dialog and the draft form read nothing else. Once the session
        has read the boards, the top level of a board without any is answered without a statement."""
        async with self.db.sessions() as session:
            if parent_id is None:
                read: _Read | None = session.info.get(BOARDS_KEY)
                if read is not None and board_id not in read.categorized:
                    return ()
                return (await session.execute(_TOP, {"board_id": board_id})).all()
            return (await session.execute(_CHILDREN, {"board_id": board_id, "parent_id": parent_id})).all()

    async def by_id(self, board_id: int) -> Board:
        """The board with this id, with its statuses."""
        async with self.db.sessions() as session:
            board = await session.get(Board, board_id)
            if board is None:
                raise NotFound(f"There is no board {board_id}.")
            return board

    async def update(
        self,
        board_id: int,
        *,
        name: str | None = None,
        default_priority: str | None = None,
        keywords: Sequence[str] | None = None,
    ) -> Board:
        """Rename a board, change its default priority or its routing keywords."""
        try:
            async with self._changing() as session:
                board = await session.get(Board, board_id)
                if board is None:
                    raise NotFound(f"There is no board {board_id}.")
                if name is not None:
                    new_name = _name(name, "board")
                    clash = await session.scalar(
                        select(Board.id).where(func.lower(Board.name) == new_name.lower(), Board.id != board_id)
                    )
                    if clash:
                        raise Conflict(f"A board called {new_name} exists already.")
                    board.name = new_name
                if default_priority is not None:
                    priority = normalize_priority(default_priority)
                    if priority is None:
                        raise Invalid(f"'{default_priority}' is not a priority.")
                    board.default_priority = priority
                if keywords is not None:
                    board.keywords = [k.strip().lower() for k in keywords if k.strip()]
        except IntegrityError as exc:
            raise Conflict("A board with that name exists already.") from exc
        return await self.by_id(board_id)

    async def delete(self, board_id: int) -> None:
        """Delete a board that has no tickets (its statuses, categories and rules go with it)."""
        async with self._changing() as session:
            board = await session.get(Board, board_id)
            if board is None:
                raise NotFound(f"There is no board {board_id}.")
            if await session.scalar(select(Ticket.id).where(Ticket.board_id == board_id).limit(1)):
                raise Conflict(f"Board {board.name} still has tickets; move or keep them, then delete it.")
            await session.delete(board)

    async def add_status(
        self, board_id: int, name: str, *, closed: bool = False, position: int | None = None
    ) -> Status:
        """Add a status to a board's workflow, at `position` (0-based; the end when None)."""
        name = _name(name, "status")
        async with self._changing() as session:
            board = await session.get(Board, board_id)
            if board is None:
                raise NotFound(f"There is no board {board_id}.")
            if any(s.name.lower() == name.lower() for s in board.statuses):
                raise Conflict(f"Board {board.name} has a status called {name} already.")
            order = list(board.statuses)
            status = Status(name=name, is_closed=closed, position=len(order))
            order.insert(len(order) if position is None else max(0, min(position, len(order))), status)
            board.statuses.append(status)
            for index, item in enumerate(order):
                item.position = index
            await session.flush()
            return status

    async def update_status(
        self, board_id: int, status_id: int, *, name: str | None = None, closed: bool | None = None
    ) -> Status:
        """Rename a status or change whether it closes tickets (the workflow stays valid)."""
        async with self._changing() as session:
            board, status = await self._status(session, board_id, status_id)
            if name is not None:
                new_name = _name(name, "status")
                if any(s.name.lower() == new_name.lower() and s.id != status_id for s in board.statuses):
                    raise Conflict(f"Board {board.name} has a status called {new_name} already.")
                status.name = new_name
            if closed is not None:
                status.is_closed = closed
            _workflow_ok([(s.name, s.is_closed) for s in board.statuses])
            return status

    async def delete_status(self, board_id: int, status_id: int) -> None:
        """Remove a status no ticket is in; the workflow keeps an open and a closed status."""
        async with self._changing() as session:
            board, status = await self._status(session, board_id, status_id)
            if await session.scalar(select(Ticket.id).where(Ticket.status_id == status_id).limit(1)):
                raise Conflict(f"Tickets are in status {status.name}; move them first.")
            rest = [s for s in board.statuses if s.id != status_id]
            _workflow_ok([(s.name, s.is_closed) for s in rest])
            board.statuses = rest
            for index, item in enumerate(rest):
                item.position = index

    @staticmethod
    async def _status(session, board_id: int, status_id: int) -> tuple[Board, Status]:
        board = await session.get(Board, board_id)
        if board is None:
            raise NotFound(f"There is no board {board_id}.")
        status = next((s for s in board.statuses if s.id == status_id), None)
        if status is None:
            raise NotFound(f"Board {board.name} has no status {status_id}.")
        return board, status

    async def all_categories(self, board_id: int | None = None) -> Sequence[Category]:
        """Every category in id order; with `board_id`, those usable on that board (its own and shared ones)."""
        query = select(Category).order_by(Category.id)
        if board_id is not None:
            query = query.where(_usable_on(board_id))
        async with self.db.sessions() as session:
            return (await session.scalars(query)).all()

    async def category(self, category_id: int) -> Category:
        """The category with this id."""
        async with self.db.sessions() as session:
            category = await session.get(Category, category_id)
            if category is None:
                raise NotFound(f"There is no category {category_id}.")
            return category

    async def delete_category(self, category_id: int) -> None:
        """Delete a category and its children; tickets in them keep no category."""
        async with self._changing() as session:
            category = await session.get(Category, category_id)
            if category is None:
                raise NotFound(f"There is no category {category_id}.")
            await session.delete(category)
