"""Web-chat fixtures: the app served on loopback with a desk member."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.web.helpers import DANA, WebApp, serve_web


@pytest.fixture
async def web(sqlite_url) -> AsyncIterator[WebApp]:
    """The app on 127.0.0.1 in the default (loopback-only) mode, with Dana as a desk member."""
    async with serve_web(sqlite_url) as app:
        await app.services.members.add("Dana Desk", DANA)
        yield app
