"""The conversations the bot knows: their references, kept so the bot can send into them after a restart."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import FromClause, Join, and_, bindparam, select

from bot.seam import SCOPES, ConversationRef, Scope
from storage.db import Database, first_row
from storage.models import Conversation, table_of, utcnow


def scope_of(stored: str) -> Scope:
    """The stored scope as the seam's vocabulary (an unknown one is treated as a group)."""
    return next((s for s in SCOPES if s == stored), "group")


def to_ref(row: Conversation) -> ConversationRef:
    """The stored conversation as a seam reference (no thread: a thread belongs to one message)."""
    return ConversationRef(
        platform=row.platform, conversation_id=row.conversation_id, scope=scope_of(row.scope), data=dict(row.data)
    )


_C = table_of(Conversation).c
_REF = (_C.platform == bindparam("platform"), _C.conversation_id == bindparam("conversation_id"))
_BY_REF = select(Conversation).where(*_REF)
STORED = "conversations.stored"
"""The lookup of a conversation as stored, by (platform, conversation id): `bot.chat.opening` reads it ahead."""
STORED_COLUMNS = (_C.scope, _C.data, _C.installed, _C.name)
# Built once, and the table's columns rather than an object: every turn checks its conversation is stored as it is.
_STORED = select(*STORED_COLUMNS).where(*_REF)


def stored_joined(onto: FromClause) -> Join:
    """`onto` LEFT JOIN the conversation `STORED` looks up (binds `platform`, `conversation_id`)."""
    return onto.outerjoin(table_of(Conversation), and_(*_REF))


class ConversationService:
    """Remembers, forgets and finds conversation references."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def remember(self, ref: ConversationRef, *, name: str = "", installed: bool = True) -> None:
        """Store or refresh the reference (adapters' data may change, e.g. a Teams serviceUrl). A reference
        that is stored as it is costs one read and no write (most turns)."""
        where = {"platform": ref.platform, "conversation_id": ref.conversation_id}
        async with self.db.sessions() as session:
            stored = await first_row(session, STORED, (ref.platform, ref.conversation_id), _STORED, where)
            if (
                stored is not None
                and (stored.scope, stored.data, stored.installed) == (ref.scope, dict(ref.data), installed)
                and (not name or stored.name == name)
            ):
                return
        async with self.db.transaction() as session:
            row = await session.scalar(_BY_REF, where)
            if row is None:
                row = Conversation(platform=ref.platform, conversation_id=ref.conversation_id)
                session.add(row)
            row.scope = ref.scope
            row.data = dict(ref.data)
            row.name = name or row.name or ""
            row.installed = installed
            row.updated_at = utcnow()

    async def forget(self, ref: ConversationRef) -> None:
        """Mark the conversation as uninstalled: nothing is sent there any more."""
        async with self.db.transaction() as session:
            row = await session.scalar(
                select(Conversation).where(
                    Conversation.platform == ref.platform, Conversation.conversation_id == ref.conversation_id
                )
            )
            if row is not None:
                row.installed = False
                row.updated_at = utcnow()

    async def get(self, platform: str, conversation_id: str) -> ConversationRef | None:
        """The reference of an installed conversation, or None."""
        async with self.db.sessions() as session:
            row = await session.scalar(
                select(Conversation).where(
                    Conversation.platform == platform,
                    Conversation.conversation_id == conversation_id,
                    Conversation.installed.is_(True),
                )
            )
            return to_ref(row) if row else None

    async def installed(self, platform: str | None = None) -> Sequence[ConversationRef]:
        """Every installed conversation, optionally of one platform."""
        query = select(Conversation).where(Conversation.installed.is_(True)).order_by(Conversation.id)
        if platform:
            query = query.where(Conversation.platform == platform)
        async with self.db.sessions() as session:
            return [to_ref(row) for row in (await session.scalars(query)).all()]
