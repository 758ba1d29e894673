"""The stored history of web-chat conversations (`bot.seam.Transcript`): what a reload shows again.

A conversation keeps its last `KEEP` messages; older ones are deleted as new ones arrive, so the table stays
small however long a conversation runs. A refreshed card replaces its message in place.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select

from bot.seam import Author, ConversationRef, MessageRef, OutboundMessage, TranscriptEntry
from cards.stored import dump_card, load_card
from storage.db import Database
from storage.models import TranscriptMessage, utcnow

KEEP = 200


def _entry(row: TranscriptMessage) -> TranscriptEntry:
    author: Author = "user" if row.author == "user" else "bot"
    card = load_card(row.card) if row.card else None
    return TranscriptEntry(row.uid, author, OutboundMessage(text=row.text, card=card))


class TranscriptService:
    """Appends, replaces and reads the messages of stored conversations."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def append(self, to: ConversationRef, author: Author, msg: OutboundMessage) -> str:
        """Store the message as the conversation's newest; returns its id."""
        uid = uuid.uuid4().hex
        card = dump_card(msg.card) if msg.card is not None else None
        where = (TranscriptMessage.platform == to.platform, TranscriptMessage.conversation_id == to.conversation_id)
        async with self.db.transaction() as session:
            session.add(
                TranscriptMessage(
                    uid=uid, platform=to.platform, conversation_id=to.conversation_id, author=author, text=msg.text,
                    card=card,
                )
            )
            await session.flush()
            oldest_kept = await session.scalar(
                select(TranscriptMessage.id).where(*where).order_by(TranscriptMessage.id.desc()).offset(KEEP - 1)
            )
            if oldest_kept is not None:
                await session.execute(delete(TranscriptMessage).where(*where, TranscriptMessage.id < oldest_kept))
        return uid

    async def replace(self, ref: MessageRef, msg: OutboundMessage) -> bool:
        """Put `msg` in place of the message `ref` (same conversation only); False when there is none."""
        async with self.db.transaction() as session:
            row = await session.scalar(
                select(TranscriptMessage).where(
                    TranscriptMessage.uid == ref.message_id,
                    TranscriptMessage.platform == ref.conversation.platform,
                    TranscriptMessage.conversation_id == ref.conversation.conversation_id,
                )
            )
            if row is None:
                return False
            row.text = msg.text
            row.card = dump_card(msg.card) if msg.card is not None else None
            row.updated_at = utcnow()
            return True

    async def recent(self, conversation: ConversationRef, limit: int) -> Sequence[TranscriptEntry]:
        """The last `limit` messages of the conversation, oldest first."""
        async with self.db.sessions() as session:
            rows = (
                await session.scalars(
                    select(TranscriptMessage)
                    .where(
                        TranscriptMessage.platform == conversation.platform,
                        TranscriptMessage.conversation_id == conversation.conversation_id,
                    )
                    .order_by(TranscriptMessage.id.desc())
                    .limit(limit)
                )
            ).all()
        return [_entry(row) for row in reversed(rows)]
