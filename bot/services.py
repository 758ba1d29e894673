"""The services of one running ticketbot: database, domain services and the platform ports."""

from __future__ import annotations

from bot.desk.boards import BoardService
from bot.desk.conversations import ConversationService
from bot.desk.members import MemberService
from bot.chat.pipeline import Router
from bot.seam import ChatPort, Core
from bot.settings import Settings
from bot.desk.tickets import TicketService
from storage.db import Database
from storage.migrate import upgrade


class Services:
    """Everything a request handler, the CLI or a test needs, built once per process."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.tickets = TicketService(self.db)
        self.members = MemberService(self.db)
        self.boards = BoardService(self.db)
        self.conversations = ConversationService(self.db)
        self.ports: dict[str, ChatPort] = {}
        self.core: Core = Router(self)

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        await upgrade(self.db)

    async def close(self) -> None:
        """Release the database connections."""
        await self.db.close()
