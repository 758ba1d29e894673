"""Serving the real aiohttp application on a local port for tests."""

from __future__ import annotations

from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestServer


@asynccontextmanager
async def served(app: web.Application):
    """Serve `app` on 127.0.0.1 on a free port; yields the base URL."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
