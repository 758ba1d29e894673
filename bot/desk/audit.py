"""The audit log: every write through the API or the CLI, with who, what, when and from where."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.models import AuditEntry


class AuditLog:
    """Records writes and lists them, newest first."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, *, actor: str, action: str, source: str, detail: dict[str, Any]) -> AuditEntry:
        """Keep one entry; `action` is what was done (e.g. `tickets.update`), `source` where it came from."""
        entry = AuditEntry(actor=actor[:200], action=action[:60], source=source[:200], detail=detail)
        async with self.db.transaction() as session:
            session.add(entry)
        return entry

    async def list(
        self, *, limit: int = 50, before: int | None = None, action: str | None = None
    ) -> Sequence[AuditEntry]:
        """Entries newest first, older than the entry `before` when given, optionally of one action."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        if action:
            query = query.where(AuditEntry.action == action)
        async with self.db.sessions() as session:
            return (await session.scalars(query)).all()
