"""Serving aiohttp applications on local ports for tests: ours, and the fake platform servers."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from contextlib import asynccontextmanager
from typing import Any, Self

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.web import BotRunner


class BotTestServer(TestServer):
    """aiohttp's test server, serving through the runner `ticketbot serve` uses."""

    async def _make_runner(self, **kwargs: Any) -> web.AppRunner:
        return BotRunner(self.app, **kwargs)


class LocalServer:
    """An aiohttp application served on a free 127.0.0.1 port while inside `async with`; `url` is its base
    (https when given a server-side TLS context)."""

    def __init__(self, app: web.Application, *, tls: ssl.SSLContext | None = None) -> None:
        self._server = BotTestServer(app, host="127.0.0.1", scheme="https" if tls else "http")
        self._tls = tls
        self.url = ""

    async def __aenter__(self) -> Self:
        await self._server.start_server(ssl=self._tls)
        self.url = str(self._server.make_url("")).rstrip("/")
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._server.close()


@asynccontextmanager
async def served(app: web.Application):
    """Serve `app` on 127.0.0.1 on a free port; yields the base URL."""
    async with LocalServer(app) as server:
        yield server.url


async def raw_exchange(url: str, request: bytes, *, close_after_send: bool = False) -> bytes:
    """Send `request` bytes as they are to the server at `url` (http://host:port) and read the answer until the
    server closes the connection (or return b"" at once when told to hang up after sending)."""
    host, _, port = url.removeprefix("http://").partition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        if close_after_send:
            return b""
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def parse_answer(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    """An HTTP/1.1 answer's status, headers (lowercase names) and body."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


async def healthy(http: aiohttp.ClientSession, url: str) -> bool:
    """Whether the server at `url` answers its health probe with 200 (False while it is not listening)."""
    try:
        async with http.get(f"{url}/healthz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False
