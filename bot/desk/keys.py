"""Admin API keys: shown once when created, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select

from bot.desk.errors import Invalid, NotFound
from storage.db import Database
from storage.models import ApiKey, AuditEntry, utcnow

KEY_PREFIX = "tbk_"


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    """A freshly created key: `secret` is the only time the key itself is available."""

    row: ApiKey
    secret: str


class KeyService:
    """Creates, lists, revokes and checks admin API keys."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str, *, actor: str) -> NewKey:
        """Make a key; only its hash and a short prefix (to recognise it in lists) are stored."""
        name = " ".join(name.split())
        if not name:
            raise Invalid("A key needs a name, e.g. the script or person that uses it.")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKey(name=name, prefix=secret[:12], key_hash=hash_key(secret))
        async with self.db.transaction() as session:
            session.add(row)
            await session.flush()
            session.add(AuditEntry(actor=actor, action="key.create", detail={"id": row.id, "name": name}))
        return NewKey(row, secret)

    async def list(self) -> Sequence[ApiKey]:
        """Every key, newest first (revoked ones too)."""
        async with self.db.sessions() as session:
            return (await session.scalars(select(ApiKey).order_by(ApiKey.id.desc()))).all()

    async def revoke(self, ident: str, *, actor: str) -> ApiKey:
        """Revoke a key by id or prefix; a revoked key stops working at once."""
        async with self.db.transaction() as session:
            conditions = [ApiKey.prefix == ident]
            if ident.isdigit():
                conditions.append(ApiKey.id == int(ident))
            row = await session.scalar(select(ApiKey).where(or_(*conditions)))
            if row is None:
                raise NotFound(f"There is no key '{ident}'.")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                session.add(AuditEntry(actor=actor, action="key.revoke", detail={"id": row.id, "name": row.name}))
            return row

    async def check(self, secret: str) -> ApiKey | None:
        """The live key matching `secret`, or None."""
        async with self.db.transaction() as session:
            row = await session.scalar(
                select(ApiKey).where(ApiKey.key_hash == hash_key(secret), ApiKey.revoked_at.is_(None))
            )
            if row is not None:
                row.last_used_at = utcnow()
            return row
