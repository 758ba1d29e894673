"""The ticket domain: tickets, members, boards, conversations, keys, the policy and the read models.

Nothing is imported here: each module is imported where it is used, and `Desk` builds each service (importing
its module) on first use, so a read-only CLI command that needs `bot.desk.tickets` does not pay for the other
services, nor for the seam they speak (tests/ops/test_cli_startup.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.desk.boards import BoardService
    from bot.desk.conversations import ConversationService
    from bot.desk.events import EventPlanner
    from bot.desk.follows import FollowService
    from bot.desk.members import MemberService
    from bot.desk.threads import ThreadService
    from bot.desk.tickets import TicketService
    from bot.settings import Settings
    from storage.db import Database


@dataclass(frozen=True)
class Desk:
    """The domain services the conversation core and the dialogs use, and nothing else (no ports, no adapters).

    `planner`, when given, is handed every ticket event inside the change's transaction (`TicketService`).
    """

    db: Database
    settings: Settings
    planner: EventPlanner | None = None

    @classmethod
    def over(cls, db: Database, settings: Settings, *, planner: EventPlanner | None = None) -> Desk:
        """The desk over one database."""
        return cls(db, settings, planner)

    @cached_property
    def tickets(self) -> TicketService:
        """Tickets: open, change, assign, note, close, list."""
        from bot.desk.tickets import TicketService

        return TicketService(self.db, self.planner)

    @cached_property
    def members(self) -> MemberService:
        """Members and their chat identities."""
        from bot.desk.members import MemberService

        return MemberService(self.db)

    @cached_property
    def boards(self) -> BoardService:
        """Boards, their workflows and categories."""
        from bot.desk.boards import BoardService

        return BoardService(self.db)

    @cached_property
    def conversations(self) -> ConversationService:
        """The conversations the bot knows, per platform."""
        from bot.desk.conversations import ConversationService

        return ConversationService(self.db)

    @cached_property
    def follows(self) -> FollowService:
        """Which conversations follow which boards."""
        from bot.desk.follows import FollowService

        return FollowService(self.db)

    @cached_property
    def threads(self) -> ThreadService:
        """The first card of a ticket in a conversation, to thread under."""
        from bot.desk.threads import ThreadService

        return ThreadService(self.db)
