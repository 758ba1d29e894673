"""Replies in a ticket's thread become notes on that ticket (SPEC §4 "replies as notes").

A message in the thread of a ticket's notification card that is not a command (free text the parser would
otherwise take for a new ticket's draft, or a failed command) is added to that ticket as a public note by its
author; `internal` as the first word makes it internal (members only; the domain refuses it to others). The
note notifies like any note.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.seam import Reply
from dialogs.replies import say

if TYPE_CHECKING:
    from dialogs.engine import Turn

FREE_TEXT = frozenset({"draft", "unknown", "structured"})
INTERNAL_WORD = "internal"


async def thread_note(turn: Turn, intent_name: str) -> Reply | None:
    """The reply for a thread reply that became a note, or None when this message is not one."""
    if intent_name not in FREE_TEXT:
        return None
    number = await turn.desk.threads.ticket_of(turn.event.conversation)
    if number is None:
        return None
    text = turn.event.text.strip()
    first, _, rest = text.partition(" ")
    internal = first.lower().rstrip(":") == INTERNAL_WORD
    if internal:
        text = rest.strip()
    await turn.desk.tickets.add_note(turn.principal, number, text, internal=internal, attachments=turn.event.attachments)
    kind = "an internal note" if internal else "a note"
    return Reply(messages=(say(f"Added your reply to #{number} as {kind}."),))
