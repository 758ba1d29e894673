"""A rolling restart of two `ticketbot serve` processes on one database, with deliveries in flight: the one
stopped with SIGTERM finishes its sends and releases its claims, the other carries on, and every delivery
reaches the platform exactly once — on SQLite and on PostgreSQL.

The lease is 300 s in these tests, far longer than they run: a row left claimed by the stopped process would
never be sent again in time, so the tests fail unless the claims are given back at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot.notify.outbox import BATCH
from bot.notify.pacing import IN_FLIGHT
from bot.services import Services
from storage.models import Delivery
from tests.fakes.bot_connector import BotConnectorStub
from tests.helpers import make_settings
from tests.http import healthy
from tests.notify.fanout import SCRIPT, fan_out, free_port, per_conversation, start_serve, stop
from tests.notify.teams_desk import wait_for

LEASE = 300.0
SEND_TIME = 1.0  # how long the stub takes over each message: a batch of 50 is in flight that long


async def _states(db_url: str) -> dict[str, int]:
    services = Services(make_settings(db_url, outbox_worker=False))
    try:
        async with services.db.sessions() as session:
            rows = await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
            return {state: count for state, count in rows.all()}
    finally:
        await services.close()



def _serve(db_url: str, port: int, log: Path, shutdown: float) -> subprocess.Popen[bytes]:
    return start_serve(
        db_url, lease=LEASE, port=port, log=log, TICKETBOT_LOG_FORMAT="json", TICKETBOT_SHUTDOWN_TIMEOUT=str(shutdown)
    )


def _lines(log: Path) -> list[dict]:
    """The JSON log lines written so far (a line still being written, with no newline yet, is left out)."""
    text = log.read_text()
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines() if line.startswith("{")]


def _sent(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line.get("outcome") == "sent"]


async def test_a_rolling_restart_sends_each_delivery_exactly_once(db_url, tmp_path):
    channels = 300
    ports = (free_port(), free_port())
    logs = (tmp_path / "a.log", tmp_path / "b.log")
    async with BotConnectorStub() as connector, aiohttp.ClientSession() as http:
        connector.answer_delay = SEND_TIME
        await fan_out(db_url, connector, channels)
        a, b = (_serve(db_url, port, log, shutdown=20) for port, log in zip(ports, logs, strict=True))
        try:
            for port in ports:
                await wait_for(lambda port=port: healthy(http, f"http://127.0.0.1:{port}"), within=60)
            # A's first batch is sent and its second is in flight (not merely 100 sent by both: the 100th could
            # be A's last of its first batch, with nothing of A's in flight when it is stopped)
            await wait_for(lambda: len(_sent(_lines(logs[0]))) > BATCH, within=30)
            a.send_signal(signal.SIGTERM)
            assert await wait_for(lambda: a.poll() is not None, within=30) and a.returncode == 0
            await wait_for(lambda: len(connector.accepted()) >= channels, within=60)
            await wait_for(lambda: _states_are(db_url, {"sent": channels}), within=20)
        finally:
            for process in (a, b):
                await stop(process)
    counts = per_conversation(connector)
    assert len(counts) == channels and set(counts.values()) == {1}, "a delivery was lost or sent twice"
    assert len(connector.accepted()) == channels
    lines = _lines(logs[0])
    stopping = next(i for i, line in enumerate(lines) if line["message"].startswith("stopping"))
    sent_by_a = _sent(lines)
    finished_after_sigterm = _sent(lines[stopping:])
    assert finished_after_sigterm, "A had no sends in flight when it was stopped, so the test proved nothing"
    assert 0 < len(sent_by_a) < channels, "B sent nothing"
    # the ticket was made outside any request (as from the CLI): each delivery line gets an id of its own
    assert len({line["request_id"] for line in sent_by_a}) == len(sent_by_a)
    assert all(len(line["request_id"]) == 32 for line in sent_by_a)
    assert not any("released" in line["message"] for line in lines), "A finished its sends within the bound"


async def _states_are(db_url: str, wanted: dict[str, int]) -> bool:
    return await _states(db_url) == wanted


async def test_sends_held_past_the_bound_are_released_at_once_and_sent_by_the_next_process(db_url, tmp_path):
    channels, accepted = 60, 20
    log = tmp_path / "a.log"
    async with BotConnectorStub() as connector:
        await fan_out(db_url, connector, channels)
        # the first batch (50): 20 accepted, then as many held unanswered as go at once, the rest waiting their turn
        connector.hold(after=accepted)
        a = _serve(db_url, free_port(), log, shutdown=0.5)
        try:
            await wait_for(lambda: connector.held == IN_FLIGHT, within=60)
            await wait_for(lambda: _states_are(db_url, {"sent": accepted, "sending": 50 - accepted, "pending": 10}))
            a.send_signal(signal.SIGTERM)
            assert await wait_for(lambda: a.poll() is not None, within=15) and a.returncode == 0
        finally:
            await stop(a)
        # released at once, not in 300 s: every row not sent is due again
        assert await _states(db_url) == {"sent": accepted, "pending": channels - accepted}
        assert any(line["message"] == f"released {50 - accepted} claimed deliveries for another process to send"
                   for line in _lines(log))
        connector.release()  # the cut-off requests are answered 503: the platform never took them
        b = _serve(db_url, free_port(), tmp_path / "b.log", shutdown=5)
        try:
            await wait_for(lambda: len(connector.accepted()) >= channels, within=30)
            await wait_for(lambda: _states_are(db_url, {"sent": channels}), within=20)
        finally:
            await stop(b)
    counts = per_conversation(connector)
    assert len(counts) == channels and set(counts.values()) == {1}


def _worker(db_url: str) -> subprocess.Popen[bytes]:
    """`ticketbot worker` over `db_url`, with the long lease and a short shutdown bound."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "WEBEX_", "TEAMS_"))}
    env.update(DATABASE_URL=db_url, TICKETBOT_OUTBOX_LEASE_SECONDS=str(LEASE), TICKETBOT_SHUTDOWN_TIMEOUT="0.5",
               TICKETBOT_OUTBOX_POLL_SECONDS="0.05")
    return subprocess.Popen([str(SCRIPT), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def test_the_worker_command_also_releases_its_claims_on_sigterm(sqlite_url, tmp_path):
    channels, accepted = 30, 10
    async with BotConnectorStub() as connector:
        await fan_out(sqlite_url, connector, channels)
        connector.hold(after=accepted)
        worker = _worker(sqlite_url)
        try:
            await wait_for(lambda: connector.held == IN_FLIGHT, within=60)
            worker.send_signal(signal.SIGTERM)
            assert await wait_for(lambda: worker.poll() is not None, within=15) and worker.returncode == 0
        finally:
            await stop(worker)
        connector.release()
    assert await _states(sqlite_url) == {"sent": accepted, "pending": channels - accepted}
