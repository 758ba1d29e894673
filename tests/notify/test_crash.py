"""A `ticketbot serve` killed with SIGKILL mid fan-out loses nothing and sends nothing twice; two serve
processes on one PostgreSQL share the outbox without sending a delivery twice, and a dialog whose turns
alternate between them completes.

The kill lands while the stub holds requests unanswered (they were never accepted, as when a crash cuts the
connection); the restarted process sends those rows again once their lease has run out.
"""

from __future__ import annotations

import asyncio
import signal

import aiohttp
import pytest

from bot.services import Services
from tests.fakes.bot_connector import BotConnectorStub
from tests.helpers import make_settings
from tests.http import healthy
from tests.notify.fanout import fan_out, free_port, per_conversation, sent_rows, start_serve, stop
from tests.notify.teams_desk import wait_for
from tests.teams.helpers import payload, variant

CHANNELS = 200


async def test_sigkill_mid_fan_out_then_restart_delivers_each_exactly_once(db_url):
    async with BotConnectorStub() as connector:
        await fan_out(db_url, connector, CHANNELS)
        connector.hold(after=70)
        first = start_serve(db_url)
        try:
            await wait_for(lambda: connector.held > 0, within=60)
            await wait_for(lambda: _settled(db_url, connector), within=20)
        finally:
            await stop(first, signal.SIGKILL)
        accepted_before = len(connector.accepted())
        assert 0 < accepted_before < CHANNELS
        connector.release()
        second = start_serve(db_url)
        try:
            await wait_for(lambda: len(per_conversation(connector)) == CHANNELS, within=60)
            # the rows are marked sent just after the stub accepted them; anything sent twice would arrive now
            await wait_for(lambda: _all_sent(db_url), within=30)
            await asyncio.sleep(0.5)
        finally:
            await stop(second)
    counts = per_conversation(connector)
    assert len(counts) == CHANNELS and set(counts.values()) == {1}
    assert await sent_rows(db_url) == CHANNELS


async def _all_sent(db_url: str) -> bool:
    return await sent_rows(db_url) == CHANNELS


async def _settled(db_url: str, connector: BotConnectorStub) -> bool:
    """Every request the stub accepted is marked sent (the rest are held in flight)."""
    return await sent_rows(db_url) == len(connector.accepted())


@pytest.fixture
def postgres_url(postgres_factory) -> str:
    return postgres_factory.new()


async def test_two_serve_processes_drain_a_thousand_deliveries_once_each(postgres_url):
    async with BotConnectorStub() as connector:
        await fan_out(postgres_url, connector, 1000)
        processes = [start_serve(postgres_url, lease=30), start_serve(postgres_url, lease=30)]
        try:
            await wait_for(lambda: len(connector.accepted()) >= 1000, within=90)
            await asyncio.sleep(0.5)
        finally:
            for process in processes:
                await stop(process)
    counts = per_conversation(connector)
    assert len(counts) == 1000 and set(counts.values()) == {1}
    assert len(connector.accepted()) == 1000


async def test_a_dialog_whose_turns_alternate_between_two_serve_processes_completes(postgres_url):
    ports = [free_port(), free_port()]
    async with BotConnectorStub() as connector, aiohttp.ClientSession() as http:
        processes = [start_serve(postgres_url, port=port) for port in ports]
        try:
            for port in ports:
                await wait_for(lambda port=port: healthy(http, f"http://127.0.0.1:{port}"), within=60)
            sample = payload("message.personal.msteams-docs.json", connector.service_url)
            for turn, text in enumerate(["new", "Printer jams", "skip", "high"]):
                activity = variant(sample, id=f"turn-{turn}", text=text)
                async with http.post(f"http://127.0.0.1:{ports[turn % 2]}/api/messages", json=activity) as response:
                    assert response.status == 200
        finally:
            for process in processes:
                await stop(process)
    answers = [r.json.get("text") or r.json.get("summary") or "" for r in connector.accepted()]
    assert len(answers) == 4 and "What is the problem" in answers[0] and "Created ticket #1" in answers[3], answers
    services = Services(make_settings(postgres_url, outbox_worker=False))
    try:
        [ticket] = await services.tickets.list()
        assert (ticket.title, ticket.priority) == ("Printer jams", "high")
    finally:
        await services.close()

