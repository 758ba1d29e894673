"""Slack fixtures: the Web API stub and the app in single-workspace HTTP mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.slack_api import SlackApiStub
from tests.slack.helpers import SlackApp, serve_slack


@pytest.fixture
async def slack() -> AsyncIterator[SlackApiStub]:
    async with SlackApiStub() as stub:
        stub.users["W222"] = {"id": "W222", "name": "megan", "real_name": "Megan Bowen",
                              "profile": {"real_name": "Megan Bowen", "email": "megan@example.com"}}
        yield stub


@pytest.fixture
async def app(sqlite_url, slack) -> AsyncIterator[SlackApp]:
    async with serve_slack(sqlite_url, slack) as served_app:
        yield served_app
