"""The composition root: builds the database, the domain services, the core and the ports once per process.

Nothing imports this module but `bot.app` and the CLI. The core gets the narrow `Desk`, adapters get an
`AdapterContext`; neither sees this container. The conversation core, the HTTP session, the reply queue, the
outbox worker, the metrics and the migrations are built (and their modules imported) on first use: a read-only
CLI command needs none of them, and importing them is most of a command's start-up time (0.9 s before; the
test in tests/ops/test_cli_startup.py holds the line).
"""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from bot.desk import Desk
from bot.desk.mail import CursorService, MailService
from bot.desk.transcripts import TranscriptService
from bot.desk.web_tokens import WebTokenService
from bot.notify.admin import ForwardService, OutboxService, RecipientService, RuleService
from bot.notify.planner import Planner
from bot.seam import AdapterContext, ChatPort, Core
from bot.settings import Settings
from storage.db import Database

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from bot.notify.outbox import OutboxWorker
    from bot.notify.replies import OutboxReplies
    from bot.web import SharedSession

ADAPTERS = frozenset(entry.name for entry in entry_points(group="ticketbot.adapters"))  # the platforms with a port


class Services:
    """Everything a request handler, the CLI or a test needs, built once per process."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url, pool_size=settings.database_pool_size)
        self.desk = Desk.over(self.db, settings)
        self.desk.tickets.planner = Planner(lambda platform: platform in ADAPTERS or platform in self.ports)
        self.tickets = self.desk.tickets
        self.members = self.desk.members
        self.boards = self.desk.boards
        self.conversations = self.desk.conversations
        self.mail = MailService(self.db, self.tickets)
        self.cursors = CursorService(self.db)
        self.transcripts = TranscriptService(self.db)
        self.web_tokens = WebTokenService(self.db)
        self.ports: dict[str, ChatPort] = {}
        self.recipients = RecipientService(self.db)
        self.rules = RuleService(self.db)
        self.forwards = ForwardService(self.db)
        self.outbox = OutboxService(self.db)

    @cached_property
    def metrics(self) -> Metrics:
        """The process's Prometheus instruments."""
        from bot.metrics import Metrics

        return Metrics()

    @cached_property
    def core(self) -> Core:
        """The conversation core with its dialogs, counting every inbound event."""
        from bot.chat.pipeline import Router
        from bot.metrics import CountingCore
        from dialogs.assign import AssignDialog, UnassignDialog
        from dialogs.create import CreateDialog
        from dialogs.note import NoteDialog
        from dialogs.update import UpdateDialog

        dialogs = (CreateDialog(), UpdateDialog(), AssignDialog(), UnassignDialog(), NoteDialog())
        return CountingCore(Router(self.desk, dialogs=dialogs), self.metrics.events)

    @cached_property
    def http(self) -> SharedSession:
        """The process's one aiohttp client session."""
        from bot.web import SharedSession

        return SharedSession()

    @cached_property
    def replies(self) -> OutboxReplies:
        """Replies a platform refused, queued in the outbox."""
        from bot.notify.replies import OutboxReplies

        return OutboxReplies(self.db)

    @cached_property
    def worker(self) -> OutboxWorker:
        """The outbox worker, sending through the registered ports."""
        from bot.notify.outbox import OutboxWorker

        return OutboxWorker(self.db, self.ports, self.settings)

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
        from storage.migrate import upgrade

        await upgrade(self.db)

    async def close(self) -> None:
        """Release the HTTP client session (if one was made) and the database connections."""
        if "http" in self.__dict__:
            await self.http.close()
        await self.db.close()
