"""Boards, their status workflows and category trees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.desk.errors import Conflict, Invalid, NotFound
from bot.desk.priorities import normalize_priority
from storage.db import Database
from storage.models import Board, Category, Status

DEFAULT_WORKFLOW: tuple[tuple[str, bool], ...] = (
    ("New", False),
    ("In Progress", False),
    ("Waiting", False),
    ("Resolved", True),
    ("Closed", True),
)


@dataclass(frozen=True)
class ListFilter:
    """What `list [board] [status]` asks for: a board and a status, each optional."""

    board: str | None = None
    status: str | None = None


class BoardService:
    """Reads and adds boards, statuses and categories; routes a problem to its board; reads list filters."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self) -> Sequence[Board]:
        """Every board in creation order, with its statuses."""
        async with self.db.sessions() as session:
            return (await session.scalars(select(Board).order_by(Board.id))).all()

    async def get(self, name: str) -> Board:
        """The board called `name` (case-insensitive), with its statuses."""
        async with self.db.sessions() as session:
            board = await session.scalar(select(Board).where(func.lower(Board.name) == name.strip().lower()))
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
            if len({s.lower() for s, _ in workflow}) != len(workflow):
                raise Invalid("Status names must be different from each other.")
            if all(is_closed for _, is_closed in workflow) or not any(is_closed for _, is_closed in workflow):
                raise Invalid("A workflow needs at least one open and one closed status (mark closed ones with --closed).")
        else:
            workflow = list(DEFAULT_WORKFLOW)
        board = Board(
            name=name,
            default_priority=priority,
            keywords=[k.strip().lower() for k in keywords if k.strip()],
            statuses=[Status(name=s, position=i, is_closed=c) for i, (s, c) in enumerate(workflow)],
        )
        try:
            async with self.db.transaction() as session:
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
        async with self.db.transaction() as session:
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

    async def categories(self, board_id: int, parent_id: int | None = None) -> Sequence[Category]:
        """The categories directly under `parent_id` (top level when None) usable on a board."""
        async with self.db.sessions() as session:
            return (
                await session.scalars(
                    select(Category)
                    .where(
                        (Category.board_id.is_(None)) | (Category.board_id == board_id),
                        Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id,
                    )
                    .order_by(Category.name)
                )
            ).all()
