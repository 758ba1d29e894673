"""The composition root: builds the database, the domain services, the core and the ports once per process.

Nothing imports this module but `bot.app` and the CLI. The core gets the narrow `Desk`, adapters get an
`AdapterContext`; neither sees this container.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from bot.chat.pipeline import Router
from bot.desk import Desk
from bot.desk.mail import CursorService, MailService
from bot.desk.transcripts import TranscriptService
from bot.desk.web_tokens import WebTokenService
from bot.notify.admin import ForwardService, OutboxService, RecipientService, RuleService
from bot.notify.outbox import OutboxWorker
from bot.notify.planner import Planner
from bot.notify.replies import OutboxReplies
from bot.seam import AdapterContext, ChatPort, Core
from bot.settings import Settings
from bot.web import SharedSession
from dialogs.assign import AssignDialog, UnassignDialog
from dialogs.create import CreateDialog
from dialogs.note import NoteDialog
from dialogs.update import UpdateDialog
from storage.db import Database
from storage.migrate import upgrade

ADAPTERS = frozenset(entry.name for entry in entry_points(group="ticketbot.adapters"))  # the platforms with a port


class Services:
    """Everything a request handler, the CLI or a test needs, built once per process."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.desk = Desk.over(self.db, settings)
        self.desk.tickets.planner = Planner(lambda platform: platform in ADAPTERS or platform in self.ports)
        self.tickets = self.desk.tickets
        self.members = self.desk.members
        self.boards = self.desk.boards
        self.conversations = self.desk.conversations
        self.mail = MailService(self.db, self.tickets)
        self.cursors = CursorService(self.db)
        self.http = SharedSession()
        self.replies = OutboxReplies(self.db)
        self.transcripts = TranscriptService(self.db)
        self.web_tokens = WebTokenService(self.db)
        self.ports: dict[str, ChatPort] = {}
        self.worker = OutboxWorker(self.db, self.ports, settings)
        self.recipients = RecipientService(self.db)
        self.rules = RuleService(self.db)
        self.forwards = ForwardService(self.db)
        self.outbox = OutboxService(self.db)
        self.core: Core = Router(self.desk, dialogs=(CreateDialog(), UpdateDialog(), AssignDialog(), UnassignDialog(), NoteDialog()))

    def adapter_context(self) -> AdapterContext:
        """What an adapter is handed: the core, the directory, the reply queue, the settings, the HTTP session,
        the feed cursors, the mail sender policy, the web chat's transcript and token check."""
        return AdapterContext(
            core=self.core,
            directory=self.conversations,
            replies=self.replies,
            settings=self.settings,
            http=self.http,
            cursors=self.cursors,
            mail=self.mail,
            transcript=self.transcripts,
            web_tokens=self.web_tokens.is_live,
        )

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        await upgrade(self.db)

    async def close(self) -> None:
        """Release the HTTP client session and the database connections."""
        await self.http.close()
        await self.db.close()
