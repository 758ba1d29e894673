"""Web-chat access tokens: shown once when created, stored only as a SHA-256 hash (like admin API keys).

With `TICKETBOT_WEB_CHAT=on` the web chat lets in whoever brings a live token; a token is not an admin key
and opens nothing else.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select

from bot.desk.errors import Invalid, NotFound
from bot.desk.keys import hash_key
from storage.db import Database
from storage.models import AuditEntry, WebToken, utcnow

TOKEN_PREFIX = "tbw_"


@dataclass(frozen=True)
class NewToken:
    """A freshly created token: `secret` is the only time the token itself is available."""

    row: WebToken
    secret: str


class WebTokenService:
    """Creates, lists, revokes and checks web-chat access tokens."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str, *, actor: str) -> NewToken:
        """Make a token; only its hash and a short prefix (to recognise it in lists) are stored."""
        name = " ".join(name.split())
        if not name:
            raise Invalid("A token needs a name, e.g. the team or person it is for.")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = WebToken(name=name, prefix=secret[:12], token_hash=hash_key(secret))
        async with self.db.transaction() as session:
            session.add(row)
            await session.flush()
            session.add(AuditEntry(actor=actor, action="web_token.create", detail={"id": row.id, "name": name}))
        return NewToken(row, secret)

    async def list(self) -> Sequence[WebToken]:
        """Every token, newest first (revoked ones too)."""
        async with self.db.sessions() as session:
            return (await session.scalars(select(WebToken).order_by(WebToken.id.desc()))).all()

    async def revoke(self, ident: str, *, actor: str) -> WebToken:
        """Revoke a token by id or prefix; a revoked token stops working at the next page load or connect."""
        async with self.db.transaction() as session:
            conditions = [WebToken.prefix == ident]
            if ident.isdigit():
                conditions.append(WebToken.id == int(ident))
            row = await session.scalar(select(WebToken).where(or_(*conditions)))
            if row is None:
                raise NotFound(f"There is no web token '{ident}'.")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                detail = {"id": row.id, "name": row.name}
                session.add(AuditEntry(actor=actor, action="web_token.revoke", detail=detail))
            return row

    async def is_live(self, secret: str) -> bool:
        """Whether `secret` is a token that was created and not revoked (`bot.seam.TokenCheck`)."""
        if not secret.startswith(TOKEN_PREFIX):
            return False
        async with self.db.transaction() as session:
            row = await session.scalar(
                select(WebToken).where(WebToken.token_hash == hash_key(secret), WebToken.revoked_at.is_(None))
            )
            if row is None:
                return False
            row.last_used_at = utcnow()
            return True
