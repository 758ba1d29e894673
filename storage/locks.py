"""Cross-process locks: one conversation's events handled one at a time by every `serve` process.

On PostgreSQL `conversation_lock` holds a session-level advisory lock keyed by the conversation (a signed
64-bit number from the SHA-256 of `platform:conversation id`) on a connection of its own for as long as the
block runs, so two processes behind a load balancer never interleave one conversation's dialog. Each held lock
occupies one pooled connection (pool: 10 + 10 overflow), so the caller should take it around the handling of
one event only. On SQLite it does nothing: a SQLite file has one process, and the in-process lock suffices.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from storage.db import Database


def lock_key(platform: str, conversation_id: str) -> int:
    """The advisory lock number of a conversation."""
    digest = hashlib.sha256(f"{platform}:{conversation_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@asynccontextmanager
async def conversation_lock(db: Database, platform: str, conversation_id: str) -> AsyncIterator[None]:
    """Hold the conversation's lock (waiting for another holder) while inside the block."""
    if db.is_sqlite:
        yield
        return
    key = lock_key(platform, conversation_id)
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        await conn.commit()
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            await conn.commit()
