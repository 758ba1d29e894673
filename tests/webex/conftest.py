"""Webex fixtures: the Webex API stub and the app pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.webex_api import WebexApiStub
from tests.webex.helpers import WebexApp, serve_webex


@pytest.fixture
async def webex_api() -> AsyncIterator[WebexApiStub]:
    async with WebexApiStub() as stub:
        yield stub


@pytest.fixture
async def webex(sqlite_url, webex_api) -> AsyncIterator[WebexApp]:
    """The app with Webex on (token, secret), over SQLite."""
    async with serve_webex(sqlite_url, webex_api) as app:
        yield app
