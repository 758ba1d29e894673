"""The composition root: builds the database, the domain services, the core and the ports once per process.

Nothing imports this module but `bot.app` and the CLI. The core gets the narrow `Desk`, adapters get an
`AdapterContext`; neither sees this container. The conversation core, the HTTP session, the reply queue, the
outbox worker, the metrics, the migrations, the notification planner and every service beyond the desk's are
built (and their modules imported) on first use: a read-only CLI command needs none of them, and importing them
is most of a command's start-up time (0.9 s before; the test in tests/ops/test_cli_startup.py holds the line).
"""

from __future__ import annotations

from functools import cache, cached_property
from typing import TYPE_CHECKING

from bot.desk import Desk
from bot.settings import Settings
from storage.db import Database

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.desk.boards import BoardService
    from bot.desk.conversations import ConversationService
    from bot.desk.mail import CursorService, MailService
    from bot.desk.members import MemberService
    from bot.desk.tickets import TicketService
    from bot.desk.transcripts import TranscriptService
    from bot.desk.web_tokens import WebTokenService
    from bot.metrics import Metrics
    from bot.notify.admin import ForwardService, OutboxService, RecipientService, RuleService
    from bot.notify.outbox import OutboxWorker
    from bot.notify.planner import Planner
    from bot.notify.replies import OutboxReplies
    from bot.seam import AdapterContext, ChatPort, Core
    from bot.web import SharedSession
    from storage.models import Note, Ticket, TicketEventRow


@cache
def adapter_platforms() -> frozenset[str]:
    """The platforms with a port: the installed `ticketbot.adapters` entry points, read once per process."""
    from importlib.metadata import entry_points

    return frozenset(entry.name for entry in entry_points(group="ticketbot.adapters"))


class Services:
    """Everything a request handler, the CLI or a test needs, built once per process."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url, pool_size=settings.database_pool_size)
        self.desk = Desk.over(self.db, settings, planner=self._plan)
        self.ports: dict[str, ChatPort] = {}

    @property
    def tickets(self) -> TicketService:
        """The desk's tickets."""
        return self.desk.tickets

    @property
    def members(self) -> MemberService:
        """The desk's members."""
        return self.desk.members

    @property
    def boards(self) -> BoardService:
        """The desk's boards."""
        return self.desk.boards

    @property
    def conversations(self) -> ConversationService:
        """The conversations the bot knows."""
        return self.desk.conversations

    async def _plan(self, session: AsyncSession, event: TicketEventRow, ticket: Ticket, note: Note | None) -> None:
        await self.planner(session, event, ticket, note)

    @cached_property
    def planner(self) -> Planner:
        """The notification planner, handed every ticket event; a platform with an adapter or a port is reachable."""
        from bot.notify.planner import Planner

        return Planner(lambda platform: platform in adapter_platforms() or platform in self.ports)

    @cached_property
    def mail(self) -> MailService:
        """Mail-to-ticket rules and exclusions."""
        from bot.desk.mail import MailService

        return MailService(self.db, self.tickets)

    @cached_property
    def cursors(self) -> CursorService:
        """Where each polled feed (the mailbox) left off."""
        from bot.desk.mail import CursorService

        return CursorService(self.db)

    @cached_property
    def transcripts(self) -> TranscriptService:
        """The web chat's stored conversations."""
        from bot.desk.transcripts import TranscriptService

        return TranscriptService(self.db)

    @cached_property
    def web_tokens(self) -> WebTokenService:
        """The web chat's access tokens."""
        from bot.desk.web_tokens import WebTokenService

        return WebTokenService(self.db)

    @cached_property
    def recipients(self) -> RecipientService:
        """Notification recipients."""
        from bot.notify.admin import RecipientService

        return RecipientService(self.db)

    @cached_property
    def rules(self) -> RuleService:
        """Board rules: which recipients hear about a board's tickets."""
        from bot.notify.admin import RuleService

        return RuleService(self.db)

    @cached_property
    def forwards(self) -> ForwardService:
        """Forwards from one recipient to another."""
        from bot.notify.admin import ForwardService

        return ForwardService(self.db)

    @cached_property
    def outbox(self) -> OutboxService:
        """The delivery queue, for admins (status, retry)."""
        from bot.notify.admin import OutboxService

        return OutboxService(self.db)

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
        """The outbox worker, sending through the registered ports, reporting to the metrics."""
        from bot.notify.outbox import OutboxWorker

        return OutboxWorker(self.db, self.ports, self.settings, observe=self.metrics.delivered)

    def adapter_context(self) -> AdapterContext:
        """What an adapter is handed: the core, the directory, the reply queue, the settings, the HTTP session,
        the feed cursors, the mail sender policy, the web chat's transcript and token check."""
        from bot.seam import AdapterContext

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
