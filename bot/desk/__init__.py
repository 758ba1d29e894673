"""The ticket domain: tickets, members, boards, conversations, keys, the policy and the read models."""

from __future__ import annotations

from dataclasses import dataclass

from bot.desk.boards import BoardService
from bot.desk.conversations import ConversationService
from bot.desk.follows import FollowService
from bot.desk.members import MemberService
from bot.desk.threads import ThreadService
from bot.desk.tickets import TicketService
from bot.settings import Settings
from storage.db import Database


@dataclass(frozen=True)
class Desk:
    """The domain services the conversation core and the dialogs use, and nothing else (no ports, no adapters)."""

    db: Database
    settings: Settings
    tickets: TicketService
    members: MemberService
    boards: BoardService
    conversations: ConversationService
    follows: FollowService
    threads: ThreadService

    @classmethod
    def over(cls, db: Database, settings: Settings) -> Desk:
        """The desk over one database."""
        return cls(
            db=db,
            settings=settings,
            tickets=TicketService(db),
            members=MemberService(db),
            boards=BoardService(db),
            conversations=ConversationService(db),
            follows=FollowService(db),
            threads=ThreadService(db),
        )
