"""Serving aiohttp applications on local ports for tests: ours, and the fake platform servers."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, Self

from aiohttp import web
from aiohttp.test_utils import TestServer


class LocalServer:
    """An aiohttp application served on a free 127.0.0.1 port while inside `async with`; `url` is its base."""

    def __init__(self, app: web.Application) -> None:
        self._server = TestServer(app, host="127.0.0.1")
        self.url = ""

    async def __aenter__(self) -> Self:
        await self._server.start_server()
        self.url = str(self._server.make_url("")).rstrip("/")
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._server.close()


@asynccontextmanager
async def served(app: web.Application):
    """Serve `app` on 127.0.0.1 on a free port; yields the base URL."""
    async with LocalServer(app) as server:
        yield server.url
