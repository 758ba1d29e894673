"""Bearer keys: `Authorization: Bearer <key>` on every API request, checked by the desk's KeyService.

A missing header, another scheme, an unknown or a revoked key all get the same 401, so the answer tells a
caller nothing about which keys exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.desk.keys import KeyService, principal_of
from bot.desk.principal import Principal
from bot.web import header
from storage.models import ApiKey


@dataclass(frozen=True)
class Caller:
    """The key a request came with and who it acts as."""

    key: ApiKey
    principal: Principal


async def authenticate(request: web.Request, keys: KeyService) -> Caller | None:
    """The caller of a request, or None when its key is missing, unknown or revoked."""
    scheme, _, secret = header(request, "Authorization").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    key = await keys.check(secret.strip())
    if key is None:
        return None
    return Caller(key, principal_of(key))
