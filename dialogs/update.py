"""The update dialog: which field of a ticket to change, then its new value (statuses of that board, priorities)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.desk.errors import Invalid
from bot.desk.priorities import normalize_priority
from bot.facts import PRIORITIES
from bot.seam import Reply
from dialogs.engine import Question, Turn, choose, pick
from dialogs.replies import ticket_message

FIELDS = ("status", "priority", "title", "description")


class FieldStep:
    """Which field to change."""

    name = "field"

    async def question(self, data: Mapping[str, Any], turn: Turn) -> Question:
        return Question(f"What do you want to change on #{data['ticket']}?", FIELDS)

    async def accept(self, answer: str, data: dict[str, Any], turn: Turn) -> str:
        return choose(answer, FIELDS, f"I can change {', '.join(FIELDS)}; not '{answer.strip()}'.")


class ValueStep:
    """The new value, with the valid choices for statuses and priorities."""

    name = "value"

    async def _statuses(self, data: Mapping[str, Any], turn: Turn) -> tuple[str, ...]:
        ticket = await turn.desk.tickets.get(data["ticket"])
        return tuple(s.name for s in ticket.board.statuses)

    async def question(self, data: Mapping[str, Any], turn: Turn) -> Question:
        field = data["field"]
        if field == "status":
            return Question(f"Which status should #{data['ticket']} have?", await self._statuses(data, turn))
        if field == "priority":
            return Question(f"Which priority should #{data['ticket']} have?", PRIORITIES)
        return Question(f"What is the new {field} of #{data['ticket']}?")

    async def accept(self, answer: str, data: dict[str, Any], turn: Turn) -> str:
        field = data["field"]
        if field == "status":
            statuses = await self._statuses(data, turn)
            return choose(answer, statuses, f"'{answer.strip()}' is not a status of this board.")
        if field == "priority":
            chosen = pick(answer, PRIORITIES) or normalize_priority(answer)
            if chosen is None:
                raise Invalid(f"'{answer.strip()}' is not a priority.")
            return chosen
        if not answer.strip():
            raise Invalid(f"The {field} cannot be empty.")
        return answer.strip()


class UpdateDialog:
    """Changes one field of a ticket and answers with the ticket card."""

    name = "update"
    title = "change"
    steps = (FieldStep(), ValueStep())

    async def finish(self, data: dict[str, Any], turn: Turn) -> Reply:
        ticket = await turn.desk.tickets.update(turn.principal, data["ticket"], **{data["field"]: data["value"]})
        message = await ticket_message(turn.desk, ticket, viewer=turn.principal, notice=f"Changed the {data['field']} of #{ticket.number}.")
        return Reply(messages=(message,))
