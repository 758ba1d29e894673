"""Teams fixtures: the Bot Connector stub and the app in local mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.bot_connector import BotConnectorStub
from tests.teams.helpers import ROSTER, TeamsApp, serve_teams


@pytest.fixture
async def connector() -> AsyncIterator[BotConnectorStub]:
    async with BotConnectorStub(members=ROSTER) as stub:
        yield stub


@pytest.fixture
async def teams(sqlite_url, connector) -> AsyncIterator[TeamsApp]:
    """The app in local mode (no MicrosoftAppId): unauthenticated, loopback callers only."""
    async with serve_teams(sqlite_url, connector) as app:
        yield app
