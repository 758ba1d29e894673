"""Web-chat test helpers: the real app served on a local address, and a socket client for it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from adapters.web.port import WebPort
from bot.app import create_app
from bot.services import Services
from tests.helpers import make_settings

DANA = "dana@example.com"  # a desk member in the `web` fixture


@dataclass
class WebApp:
    """The served app: its base URL, its services and the web port the outbox would use."""

    url: str
    services: Services
    port: WebPort


@asynccontextmanager
async def serve_web(db_url: str, *, host: str = "127.0.0.1", **settings: Any) -> AsyncIterator[WebApp]:
    """The whole app (every adapter, the web chat among them) served on `host` on a free port."""
    services = Services(make_settings(db_url, **settings))
    server = TestServer(create_app(services), host=host)
    await server.start_server()
    try:
        port = services.ports["web"]
        assert isinstance(port, WebPort)
        yield WebApp(str(server.make_url("")).rstrip("/"), services, port)
    finally:
        await server.close()


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (the source of its default route), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent, the kernel only picks a source address
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


async def frames_until_done(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    """The frames the server sends for one page frame, up to and without its `done`."""
    frames = []
    while True:
        frame = await ws.receive_json(timeout=10)
        if frame["type"] == "done":
            return frames
        frames.append(frame)


async def greeted(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The welcome frame of a fresh socket; for a new conversation, also the welcome card that follows it
    (returned as the history's only entry)."""
    welcome = await ws.receive_json(timeout=10)
    assert welcome["type"] == "welcome"
    if not welcome["history"]:
        card = await ws.receive_json(timeout=10)
        assert card["type"] == "message" and "Hi, I&#x27;m Ticketbot" in card["html"]
        welcome["history"] = [card]
    return welcome
