"""One chat turn as the command and action handlers see it, and the lookups they share."""

from __future__ import annotations

from dataclasses import dataclass

from bot.desk import policy
from bot.desk.errors import Invalid
from bot.desk.views import TicketRead
from bot.seam import Reply
from dialogs.engine import DialogEngine, Turn
from dialogs.replies import say, ticket_message
from dialogs.store import DialogKey
from storage.models import Ticket


def _given(number: int | None) -> int:
    if number is None:
        raise Invalid("Which ticket? Give its number, like `show 42`.")
    return number


@dataclass(frozen=True)
class ChatTurn(Turn):
    """A dialog `Turn` plus what only the core uses: the dialog engine and the bot's name."""

    dialogs: DialogEngine
    bot_name: str

    @property
    def key(self) -> DialogKey:
        """Whose dialog or draft: this person in this conversation."""
        return DialogKey(self.event.conversation.platform, self.event.conversation.conversation_id, self.event.actor.user_id)

    async def ticket(self, number: int | None) -> Ticket:
        """The ticket the principal may see; raises NotFound, Forbidden or Invalid (no number) for the user."""
        ticket = await self.desk.tickets.get(_given(number))
        policy.require_see(self.principal, ticket)
        return ticket

    async def shown(self, number: int | None) -> TicketRead:
        """`ticket` as the principal's card shows it, for a command that only shows it (no ORM objects)."""
        ticket = await self.desk.tickets.read(_given(number), self.principal)
        policy.require_see(self.principal, ticket)
        return ticket

    async def card(self, ticket: Ticket | TicketRead, notice: str | None = None) -> Reply:
        """The ticket card as this principal may use it, as the turn's message."""
        return Reply(messages=(await ticket_message(self.desk, ticket, viewer=self.principal, notice=notice),))

    def text(self, text: str) -> Reply:
        """A plain text answer."""
        return Reply(messages=(say(text),))
