"""Board rules made from chat: `follow <board>` makes this conversation a recipient of the board's new tickets."""

from __future__ import annotations

from sqlalchemy import select

from bot.desk.errors import Invalid
from bot.seam import ConversationRef
from storage.db import Database
from storage.models import Board, Conversation, Recipient, Rule


class FollowService:
    """Creates, enables and disables the board rule of one conversation."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set(self, ref: ConversationRef, board: Board, *, enabled: bool, name: str = "") -> bool:
        """Enable or disable the rule (board → this conversation); returns whether anything changed."""
        async with self.db.transaction() as session:
            conversation = await session.scalar(
                select(Conversation).where(
                    Conversation.platform == ref.platform, Conversation.conversation_id == ref.conversation_id
                )
            )
            if conversation is None:
                raise Invalid("I do not know this conversation yet; mention me once, then try again.")
            recipient = await session.scalar(select(Recipient).where(Recipient.conversation_id == conversation.id))
            if recipient is None:
                if not enabled:
                    return False
                recipient = Recipient(
                    name=name or conversation.name or ref.conversation_id, kind="room", conversation_id=conversation.id
                )
                session.add(recipient)
                await session.flush()
            rule = await session.scalar(
                select(Rule).where(Rule.board_id == board.id, Rule.recipient_id == recipient.id)
            )
            if rule is None:
                if not enabled:
                    return False
                session.add(Rule(board_id=board.id, recipient_id=recipient.id, enabled=True))
                return True
            changed = rule.enabled != enabled
            rule.enabled = enabled
            return changed
