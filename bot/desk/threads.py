"""Ticket threads as the conversation core sees them: which ticket a chat thread is about.

The outbox stores the first notification card about a ticket in each conversation (`ticket_threads`); a
message that arrives in that card's thread (the same platform, conversation and thread) is about that ticket.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.seam import ConversationRef
from storage.db import Database
from storage.models import Ticket, TicketThread


class ThreadService:
    """Looks up the ticket of a thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def ticket_of(self, ref: ConversationRef) -> int | None:
        """The number of the ticket whose card started the thread `ref` is in, or None."""
        if not ref.thread_id:
            return None
        async with self.db.sessions() as session:
            return await session.scalar(
                select(Ticket.number)
                .join(TicketThread, TicketThread.ticket_id == Ticket.id)
                .where(
                    TicketThread.platform == ref.platform,
                    TicketThread.conversation_id == ref.conversation_id,
                    TicketThread.thread_id == ref.thread_id,
                )
                .limit(1)
            )
