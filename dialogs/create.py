"""The create dialog: title, description, priority, board and category (drilling down the category tree)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.desk.errors import Invalid
from bot.desk.priorities import normalize_priority
from bot.desk.tickets import Origin, clean_title
from bot.desk.views import opened
from bot.facts import PRIORITIES
from bot.seam import Reply
from dialogs.engine import AskAgain, Question, Turn, choose, pick
from dialogs.replies import ticket_message

SKIP_WORDS = {"skip", "none", "no", "-", "nothing", "n/a"}


class TitleStep:
    """What the problem is, in one line."""

    name = "title"

    async def question(self, data: Mapping[str, Any], turn: Turn) -> Question:
        return Question("What is the problem, in one line?")

    async def accept(self, answer: str, data: dict[str, Any], turn: Turn) -> str:
        return clean_title(answer)


class DescriptionStep:
    """More detail; asked only when the dialog was started without any text."""

    name = "description"

    async def question(self, data: Mapping[str, Any], turn: Turn) -> Question | None:
        if not data.get("_ask_description"):
            return None
        return Question("Describe it in more detail, or say `skip`.")

    async def accept(self, answer: str, data: dict[str, Any], turn: Turn) -> str:
        return "" if answer.strip().lower() in SKIP_WORDS else answer.strip()


class PriorityStep:
    """How urgent it is."""

    name = "priority"

    async def question(self, data: Mapping[str, Any], turn: Turn) -> Question | None:
        if not data.get("_ask_priority"):
            return None
        return Question("How urgent is it?", PRIORITIES)

    async def accept(self, answer: str, data: dict[str, Any], turn: Turn) -> str:
        chosen = pick(answer, PRIORITIES) or normalize_priority(answer)
        if chosen is None:
            raise Invalid(f"'{answer.strip()}' is not a priority.")
        return chosen


class BoardStep:
    """Which board; asked only when there is more than one."""

    name = "board"

    async def question(self, data: Mapping[str, Any], turn: Turn) -> Question | None:
        boards = [b.name for b in await turn.desk.boards.list()]
        if len(boards) < 2:
            return None
        return Question("Which board should it go to?", tuple(boards))

    async def accept(self, answer: str, data: dict[str, Any], turn: Turn) -> str:
        boards = [b.name for b in await turn.desk.boards.list()]
        return choose(answer, boards, f"There is no board '{answer.strip()}'.")


class CategoryStep:
    """The category, one level of the tree at a time; `none` stops at the level reached."""

    name = "category"

    async def _children(self, data: Mapping[str, Any], turn: Turn) -> list:
        desk = turn.desk
        board = await desk.boards.get(data["board"]) if data.get("board") else (await desk.boards.list())[0]
        return list(await desk.boards.categories(board.id, data.get("_category_parent")))

    async def question(self, data: Mapping[str, Any], turn: Turn) -> Question | None:
        children = await self._children(data, turn)
        if not children:
            return None
        where = f" within {data['_category_path']}" if data.get("_category_path") else ""
        return Question(f"Which category{where}? Say `none` to leave it there.", tuple(c.name for c in children))

    async def accept(self, answer: str, data: dict[str, Any], turn: Turn) -> str | None:
        if answer.strip().lower() in SKIP_WORDS:
            return data.get("_category_path")
        children = await self._children(data, turn)
        chosen = choose(answer, [c.name for c in children], f"'{answer.strip()}' is not one of the categories offered.")
        node = next(c for c in children if c.name == chosen)
        path = f"{data['_category_path']}/{chosen}" if data.get("_category_path") else chosen
        data["_category_parent"], data["_category_path"] = node.id, path
        if await self._children(data, turn):
            raise AskAgain
        return path


class CreateDialog:
    """Collects what a new ticket needs, then opens it and answers with its card."""

    name = "create"
    title = "new ticket"
    steps = (TitleStep(), DescriptionStep(), PriorityStep(), BoardStep(), CategoryStep())

    async def finish(self, data: dict[str, Any], turn: Turn) -> Reply:
        event = turn.event
        ticket = await turn.desk.tickets.create(
            turn.principal,
            title=data["title"],
            description=data.get("description") or "",
            priority=data.get("priority"),
            board=data.get("board"),
            category=data.get("category"),
            origin=Origin(event.conversation.platform, event.conversation.conversation_id, event.idempotency_key),
        )
        read = opened(ticket, attached=False)
        message = await ticket_message(turn.desk, read, viewer=turn.principal, notice=f"Created ticket #{ticket.number}.")
        return Reply(messages=(message,))
