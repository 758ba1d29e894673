"""Webex's blocking SDK calls run on threads of their own, so a slow Webex API holds up nothing else.

The loop's default executor (cores + 4 threads: 6 on the 2-core machine) also runs Teams' token validation and
token fetches. When it ran the Webex calls too, six calls held by a hanging API took every thread, and any other
blocking call in the process waited until one of them timed out.
"""

from __future__ import annotations

import asyncio

import pytest

import adapters.webex.client
from adapters.webex.client import WORKERS, WebexClient
from bot.seam import DeliveryError
from tests.fakes.faults import Faults
from tests.fakes.webex_api import WebexApiStub
from tests.notify.teams_desk import wait_for

HELD = 12  # more calls than the default executor has threads, and than the client has


async def test_webex_calls_held_by_a_hanging_api_leave_the_default_executor_free(monkeypatch):
    monkeypatch.setattr(adapters.webex.client, "REQUEST_TIMEOUT", 1)
    stub = WebexApiStub(faults=Faults(1.0, kinds=("timeout",), hold=2.0))
    async with stub, WebexClient("token", stub.api_url) as client:
        held = [asyncio.create_task(client.message(f"message-{n}")) for n in range(HELD)]
        await wait_for(lambda: stub.faults.struck["timeout"] >= 6)
        assert await asyncio.to_thread(lambda: "done") == "done"
        assert not any(call.done() for call in held)  # every Webex call was still held meanwhile
        await wait_for(lambda: stub.faults.struck["timeout"] >= WORKERS)
        assert stub.faults.struck["timeout"] == WORKERS  # the rest wait for one of the client's threads
        for call in held:
            with pytest.raises(DeliveryError, match="could not be reached"):
                await call
