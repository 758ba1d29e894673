"""Fixtures of the notification tests: the Bot Connector stub and the app served with a fast outbox worker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.bot_connector import BotConnectorStub
from tests.notify.helpers import FAST_OUTBOX
from tests.teams.helpers import ROSTER, TeamsApp, serve_teams


@pytest.fixture
async def connector() -> AsyncIterator[BotConnectorStub]:
    async with BotConnectorStub(members=ROSTER) as stub:
        yield stub


@pytest.fixture
async def teams(sqlite_url, connector) -> AsyncIterator[TeamsApp]:
    async with serve_teams(sqlite_url, connector, **FAST_OUTBOX) as app:
        yield app
