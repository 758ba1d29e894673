"""`ticketbot serve` as a real process: graceful shutdown on SIGTERM, JSON log lines, no secret in them; and what
serving does to the garbage collector, in-process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.web import serve_until_stopped
from tests.fakes.bot_connector import BotConnectorStub
from tests.teams.helpers import payload

SCRIPT = Path(sys.executable).with_name("ticketbot")
REPLY_DELAY = 2.0  # how long the stub holds the bot's reply: the turn is in flight that long


class SlowConnector(BotConnectorStub):
    """A Bot Connector that takes `delay` seconds to accept a reply, and says when one arrived."""

    def __init__(self, delay: float = REPLY_DELAY) -> None:
        super().__init__()
        self.delay = delay
        self.reply_arrived = asyncio.Event()

    async def _post_activity(self, request: web.Request) -> web.Response:
        self.reply_arrived.set()
        await asyncio.sleep(self.delay)
        return await super()._post_activity(request)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _wait_until_up(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(150):
        try:
            async with http.get(f"{url}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    raise AssertionError("ticketbot serve did not come up")


async def _refuses_connections(http: aiohttp.ClientSession, url: str) -> bool:
    for _ in range(20):
        try:
            async with http.get(f"{url}/healthz", timeout=aiohttp.ClientTimeout(total=0.5)):
                await asyncio.sleep(0.05)
        except (aiohttp.ClientConnectionError, TimeoutError):
            return True
    return False


def _env(tmp_path: Path, shutdown_timeout: float) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "WEBEX_", "TEAMS_"))},
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "TICKETBOT_LOG_FORMAT": "json",
        "TICKETBOT_SHUTDOWN_TIMEOUT": str(shutdown_timeout),
        "TICKETBOT_METRICS_KEY": "s3cret-metrics-key",
        "MicrosoftAppPassword": "s3cret-app-password",
    }


async def test_sigterm_finishes_the_turn_in_flight_then_exits_0(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = _env(tmp_path, 10)
    async with SlowConnector() as connector, aiohttp.ClientSession() as http:
        with log.open("w") as out:
            proc = await asyncio.create_subprocess_exec(
                str(SCRIPT), "serve", "--port", str(port), env=env, stdout=out, stderr=out
            )
        try:
            await _wait_until_up(http, url)
            activity = payload("message.personal.msteams-docs.json", connector.service_url)
            activity["text"] = "help"
            turn = asyncio.create_task(http.post(f"{url}/api/messages", json=activity))
            await asyncio.wait_for(connector.reply_arrived.wait(), 15)
            proc.send_signal(signal.SIGTERM)
            assert await _refuses_connections(http, url)  # stopped accepting while the turn is still in flight
            assert not turn.done()
            async with await asyncio.wait_for(turn, 15) as resp:
                assert resp.status == 200
            assert await asyncio.wait_for(proc.wait(), 15) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert len(connector.activities()) == 1  # the reply reached the connector
    text = log.read_text()
    assert "s3cret" not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    turns = [line for line in lines if line.get("route") == "/api/messages"]
    assert len(turns) == 1
    assert turns[0]["status"] == 200 and turns[0]["method"] == "POST" and turns[0]["latency_ms"] >= REPLY_DELAY * 1000
    assert len(turns[0]["request_id"]) == 32


async def test_a_stalled_log_reader_does_not_stall_serving_and_loses_no_line(tmp_path):
    """Its stderr is a pipe nobody reads for a while (a log shipper restarting): more lines than the pipe holds
    (64 KiB) are logged, every request is still answered, and once the pipe is read again every line is there."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    requests = 800  # access lines of ~250 bytes: about three times what the pipe holds
    reader, writer = os.pipe()
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT), "serve", "--port", str(port), env=_env(tmp_path, 10), stdout=asyncio.subprocess.DEVNULL,
        stderr=writer,
    )
    os.close(writer)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            await _wait_until_up(http, url)
            for n in range(requests):
                async with http.get(f"{url}/healthz", headers={"X-Request-Id": f"stalled-{n}"}) as resp:
                    assert resp.status == 200, n
        proc.send_signal(signal.SIGTERM)
        with os.fdopen(reader, "rb") as pipe:
            text = (await asyncio.to_thread(pipe.read)).decode()
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    ids = [line["request_id"] for line in map(json.loads, text.splitlines()) if line.get("route") == "/healthz"]
    assert ids[-requests:] == [f"stalled-{n}" for n in range(requests)]


async def test_a_turn_longer_than_the_shutdown_bound_does_not_hold_the_process(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    async with SlowConnector(delay=30) as connector, aiohttp.ClientSession() as http:
        proc = await asyncio.create_subprocess_exec(
            str(SCRIPT), "serve", "--port", str(port), env=_env(tmp_path, 0.5),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await _wait_until_up(http, url)
            activity = payload("message.personal.msteams-docs.json", connector.service_url)
            activity["text"] = "help"
            turn = asyncio.create_task(http.post(f"{url}/api/messages", json=activity))
            await asyncio.wait_for(connector.reply_arrived.wait(), 15)
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 10) == 0  # well before the reply's 30 s
            turn.cancel()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def test_metrics_on_a_port_of_their_own_are_not_on_the_bots_port(tmp_path):
    port, metrics_port = _free_port(), _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in _env(tmp_path, 5).items() if k != "TICKETBOT_METRICS_KEY"}
    env["TICKETBOT_METRICS_PORT"] = str(metrics_port)
    async with aiohttp.ClientSession() as http:
        proc = await asyncio.create_subprocess_exec(
            str(SCRIPT), "serve", "--port", str(port), env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await _wait_until_up(http, url)
            async with http.get(f"{url}/metrics") as resp:
                assert resp.status == 404  # not on the bot's (public) port
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as resp:
                assert resp.status == 200  # no key asked: only what can reach this listener sees it
                text = await resp.text()
            async with http.get(f"http://127.0.0.1:{metrics_port}/healthz") as resp:
                assert resp.status == 404 and "error" in await resp.json()
        finally:
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 15) == 0
    assert 'ticketbot_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'ticketbot_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text


async def test_once_listening_what_start_up_built_is_frozen_out_of_the_garbage_collector():
    async def ok(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", ok)
    gc.unfreeze()
    port = _free_port()
    serving = asyncio.create_task(serve_until_stopped(app, "127.0.0.1", port, shutdown_timeout=1))
    try:
        assert gc.get_freeze_count() == 0
        async with aiohttp.ClientSession() as http:
            await _wait_until_up(http, f"http://127.0.0.1:{port}")
        assert gc.get_freeze_count() > 0
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        gc.unfreeze()
