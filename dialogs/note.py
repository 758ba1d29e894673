"""The note dialog: `note 5` without text asks what the note should say, then adds it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.desk.errors import Invalid
from bot.seam import Reply
from dialogs.engine import Question, Turn
from dialogs.replies import ticket_message


class TextStep:
    """What the note says."""

    name = "text"

    async def question(self, data: Mapping[str, Any], turn: Turn) -> Question:
        kind = "internal note" if data.get("internal") else "note"
        return Question(f"What should the {kind} on #{data['ticket']} say?")

    async def accept(self, answer: str, data: dict[str, Any], turn: Turn) -> str:
        if not answer.strip():
            raise Invalid("A note needs some text.")
        return answer.strip()


class NoteDialog:
    """Adds the note and answers with the ticket card."""

    name = "note"
    title = "note"
    steps = (TextStep(),)

    async def finish(self, data: dict[str, Any], turn: Turn) -> Reply:
        ticket, _ = await turn.desk.tickets.add_note(
            turn.principal, data["ticket"], data["text"], internal=bool(data.get("internal")),
            attachments=turn.event.attachments,
        )
        notice = f"Added your {'internal ' if data.get('internal') else ''}note to #{ticket.number}."
        return Reply(messages=(await ticket_message(turn.desk, ticket, viewer=turn.principal, notice=notice),))
