"""API keys: shown once when created, stored only as a SHA-256 hash, each acting as its owner.

A key is found by its 12-character prefix (kept in clear to recognise it in lists) and then its hash is compared
in constant time, so how long a check takes says nothing about how close a guess was. A key acts as its member;
it acts as an admin only when it was made with the admin flag and its member is still an admin. A key without
a member is a service key (what `ticketbot keys create NAME` makes): it acts as an admin named after the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select

from bot.desk.errors import Invalid, NotFound
from bot.desk.principal import Principal
from storage.db import Database
from storage.models import ApiKey, Member, utcnow

KEY_PREFIX = "tbk_"
PREFIX_LENGTH = 12
MAX_KEY_LENGTH = 200


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    """A freshly created key: `secret` is the only time the key itself is available."""

    row: ApiKey
    secret: str


def principal_of(key: ApiKey) -> Principal:
    """Who a key acts as: its member (an admin only if both key and member are), or a service admin."""
    if key.member is None:
        return Principal(name=f"key {key.name}", is_admin=True)
    return Principal(name=key.member.name, member_id=key.member.id, is_admin=key.is_admin and key.member.is_admin)


class KeyService:
    """Creates, lists, revokes and checks API keys."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str, *, member: Member | None = None, admin: bool = False) -> NewKey:
        """Make a key for `member` (a service key when None); only its hash and a short prefix are stored."""
        name = " ".join(name.split()) or (member.email or member.name if member else "")
        if not name:
            raise Invalid("A key needs a name, e.g. the script or person that uses it.")
        if member is not None and admin and not member.is_admin:
            raise Invalid(f"{member.name} is not an admin, so their key cannot be an admin key.")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKey(
            name=name[:100],
            prefix=secret[:PREFIX_LENGTH],
            key_hash=hash_key(secret),
            member_id=member.id if member else None,
            is_admin=admin or member is None,
        )
        async with self.db.transaction() as session:
            session.add(row)
        return NewKey(await self.get(row.id), secret)

    async def list(self) -> Sequence[ApiKey]:
        """Every key, oldest first (revoked ones too)."""
        async with self.db.sessions() as session:
            return (await session.scalars(select(ApiKey).order_by(ApiKey.id))).all()

    async def get(self, key_id: int) -> ApiKey:
        """The key with this id."""
        async with self.db.sessions() as session:
            row = await session.get(ApiKey, key_id)
            if row is None:
                raise NotFound(f"There is no key {key_id}.")
            return row

    async def revoke(self, ident: str) -> ApiKey:
        """Revoke a key by id or prefix; a revoked key stops working at once."""
        async with self.db.transaction() as session:
            conditions = [ApiKey.prefix == ident]
            if ident.isdigit() and len(ident) < 10:
                conditions.append(ApiKey.id == int(ident))
            row = await session.scalar(select(ApiKey).where(or_(*conditions)))
            if row is None:
                raise NotFound(f"There is no key '{ident}'.")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return row

    async def check(self, secret: str) -> ApiKey | None:
        """The live key matching `secret`, or None."""
        if not secret.startswith(KEY_PREFIX) or len(secret) > MAX_KEY_LENGTH:
            return None
        wanted = hash_key(secret).encode()
        async with self.db.transaction() as session:
            candidates = await session.scalars(
                select(ApiKey).where(ApiKey.prefix == secret[:PREFIX_LENGTH], ApiKey.revoked_at.is_(None))
            )
            for row in candidates.unique().all():
                if hmac.compare_digest(row.key_hash.encode(), wanted):
                    row.last_used_at = utcnow()
                    return row
            return None
