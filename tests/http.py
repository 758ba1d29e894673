"""Serving aiohttp applications on local ports for tests: ours, and the fake platform servers."""

from __future__ import annotations

import ssl
from contextlib import asynccontextmanager
from typing import Any, Self

from aiohttp import web
from aiohttp.test_utils import TestServer


class LocalServer:
    """An aiohttp application served on a free 127.0.0.1 port while inside `async with`; `url` is its base.

    With an `ssl` context it is served over HTTPS (for clients that refuse plain HTTP, such as msal).
    """

    def __init__(self, app: web.Application, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._server = TestServer(app, host="127.0.0.1")
        self._ssl = ssl_context
        self.url = ""

    async def __aenter__(self) -> Self:
        await self._server.start_server(ssl=self._ssl)
        self.url = str(self._server.make_url("")).rstrip("/")
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._server.close()


@asynccontextmanager
async def served(app: web.Application):
    """Serve `app` on 127.0.0.1 on a free port; yields the base URL."""
    async with LocalServer(app) as server:
        yield server.url
