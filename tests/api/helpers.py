"""Admin API test helpers: the real app served on a local port, keys made through the desk, a small client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.app import create_app
from bot.desk.keys import KeyService
from bot.services import Services
from tests.http import served


@dataclass
class Answer:
    """One HTTP answer: status, JSON body (None when empty) and headers."""

    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class ApiClient:
    """Calls the served API at `url` with a bearer key (`key=None` sends no Authorization header)."""

    url: str
    session: aiohttp.ClientSession
    services: Services
    key: str | None = None
    keys: dict[str, str] = field(default_factory=dict)

    async def call(self, method: str, path: str, *, key: str | None = "default", **kwargs: Any) -> Answer:
        """One request to `/api/v1{path}`; `key="default"` uses the client's own key."""
        chosen = self.key if key == "default" else key
        headers = dict(kwargs.pop("headers", {}))
        if chosen is not None:
            headers["Authorization"] = f"Bearer {chosen}"
        async with self.session.request(method, f"{self.url}/api/v1{path}", headers=headers, **kwargs) as response:
            raw = await response.read()
            body = await response.json(content_type=None) if raw else None
            return Answer(response.status, body, dict(response.headers))

    async def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        """The JSON body of a request that must answer `status`."""
        answer = await self.call(method, path, **kwargs)
        assert answer.status == status, (answer.status, answer.body)
        return answer.body


async def make_keys(services: Services) -> dict[str, str]:
    """An admin member with an admin key, a plain member with a key, and a service key; their secrets by role."""
    admin = await services.members.add("Alice Admin", "alice@example.com", is_admin=True)
    member = await services.members.add("Bob Tech", "bob@example.com")
    keys = KeyService(services.db)
    return {
        "admin": (await keys.create("alice's script", member=admin, admin=True)).secret,
        "member": (await keys.create("", member=member)).secret,
        "service": (await keys.create("nightly export")).secret,
    }


@asynccontextmanager
async def serve_api(services: Services) -> AsyncIterator[ApiClient]:
    """The whole app over `services` on a local port, and a client holding the admin key."""
    keys = await make_keys(services)
    async with served(create_app(services, upgrade=False)) as url, aiohttp.ClientSession() as session:
        yield ApiClient(url, session, services, keys["admin"], keys)
