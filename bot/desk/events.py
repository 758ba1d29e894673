"""The hook through which the ticket domain hands its events to the notification engine.

The domain cannot import `bot.notify` (it sits below it), so `TicketService` calls whatever implements this
protocol; the composition root plugs in the planner. It runs inside the change's transaction: what it writes
commits with the change, and an exception it raises rolls the change back.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Note, Ticket, TicketEventRow


class EventPlanner(Protocol):
    """Receives each ticket event (and the note it added, if any) in the session of the change."""

    async def __call__(
        self, session: AsyncSession, event: TicketEventRow, ticket: Ticket, note: Note | None
    ) -> None: ...
