"""A Teams channel and people for the notification tests against the Bot Connector stub."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tests.teams.helpers import TeamsApp, variant

CHANNEL_SAMPLE = "message.channel.mention-bot.teams-net.json"
RIDO_AAD = "b15a9416-0ad3-4172-9210-7beb711d3f70"  # the sender of the channel sample
ALICE_AAD = "00000000-0000-4000-8000-00000000a11c"


async def wait_for(check: Callable[[], Any], within: float = 15.0) -> Any:
    """Poll `check` until it returns something truthy; fails after `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing happened within {within} s")


async def channel_desk(teams: TeamsApp) -> str:
    """The sample's channel known to the bot (by a first mention), following Service Desk with updates; Rido
    (the sample's sender) and Alice are Teams-linked members. Returns the channel's conversation id."""
    services = teams.services
    await services.members.add("Rido", "rido@example.com")
    await services.members.link("rido@example.com", "teams", RIDO_AAD)
    await services.members.add("Alice", "alice@example.com", preferred_platform="teams")
    await services.members.link("alice@example.com", "teams", ALICE_AAD, name="Alice")
    hello = variant(teams.sample(CHANNEL_SAMPLE), id="hello-1", text="<at>ridotest</at> help")
    assert (await teams.post(hello))[0] == 200
    channel = hello["conversation"]["id"].split(";")[0]
    recipient = await services.recipients.add("teams", channel, "Helpdesk channel")
    await services.rules.add("Service Desk", recipient["id"], on_update=True)
    teams.connector.requests.clear()
    return channel
