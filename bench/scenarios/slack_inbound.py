"""Slack inbound over the HTTP Events API: the full path (create a ticket; read-only `show 1`) against a bare
slack-bolt `AsyncApp` echo bot.

Both run in their own processes, check Slack's v0 request signature with the same signing secret, and answer
with `chat.postMessage` to one local Web API stub in the load process. Each request is a new event (its own
event id and ts) in one of 256 DM channels with the bench user; the latency runs from sending the request to
the reply reaching the stub in that channel (bolt acks first and replies after, so the HTTP answer says little).
Rows interleave round after round; each ratio divides figures of the same round.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable

import aiohttp

from bench.databases import migrate
from bench.harness import PYTHON, TICKETBOT, Result, Server, create_text, echo_text, interleaved_table, reply_load, show_text
from bench.registry import Bench, Table, register
from bench.stubs import SLACK_TEAM, SLACK_USER, SlackStub

CONCURRENCY = (16, 64)
REPLY_TIMEOUT = 30.0  # seconds a reply may take before the request counts as an error
ECHO = "bare slack-bolt AsyncApp echo"


def _signature(secret: str, timestamp: str, body: bytes) -> str:
    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


def _event(n: int, channel: str, text: str) -> dict:
    """A DM to the bot as the Events API delivers it (the shape of Slack's `message.im` sample)."""
    ts = f"1700000000.{n:06d}"
    return {
        "token": "bench-verification-token",
        "team_id": SLACK_TEAM,
        "api_app_id": "ABENCH",
        "event": {"type": "message", "channel": channel, "user": SLACK_USER, "text": text, "ts": ts, "event_ts": ts,
                  "channel_type": "im"},
        "type": "event_callback",
        "authorizations": [{"team_id": SLACK_TEAM, "user_id": "UBOTBENCH", "is_bot": True,
                            "is_enterprise_install": False}],
        "event_id": f"EvBENCH{n:08d}",
        "event_time": int(time.time()),
    }


def _sender(http: aiohttp.ClientSession, stub: SlackStub, url: str, secret: str,
            text: Callable[[int], str]) -> Callable[[int, int], Awaitable[float | None]]:
    async def send(n: int, conversation: int) -> float | None:
        channel = f"DBENCH{conversation:04d}"
        body = json.dumps(_event(n, channel, text(n))).encode()
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
                   "X-Slack-Signature": _signature(secret, timestamp, body)}
        reply = stub.expect(channel)
        start = time.perf_counter()
        try:
            async with http.post(url + "/slack/events", data=body, headers=headers) as resp:
                await resp.read()
                if resp.status >= 300:
                    return None
            return await asyncio.wait_for(reply, REPLY_TIMEOUT) - start
        except (aiohttp.ClientError, TimeoutError):
            return None

    return send


@register("slack-inbound", order=12)
async def slack_inbound(bench: Bench) -> list[Table]:
    log = bench.workdir / "servers.log"
    sqlite_url = f"sqlite+aiosqlite:///{bench.workdir / 'slack.db'}"
    await migrate(sqlite_url)
    stub = SlackStub()
    await stub.start()
    secret = secrets.token_hex(16)  # a signing secret as Slack issues them: 32 hex digits
    slack = {"SLACK_BOT_TOKEN": f"xoxb-{SLACK_TEAM}-bench", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": stub.api_url}
    ours = Server("ticketbot (Slack, SQLite)", [TICKETBOT, "serve", "--port", "{port}"], {"DATABASE_URL": sqlite_url, **slack})
    echo = Server("slack-bolt AsyncApp echo", [PYTHON, "-m", "bench.bots.bolt_echo", "{port}"], slack)
    rows = [("create, SQLite", ours, create_text), ("show 1 (read only), SQLite", ours, show_text), (ECHO, echo, echo_text)]
    tables = []
    try:
        await ours.start(log)
        await echo.start(log)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            # ticket 1 exists, by the bench user, before anything is measured
            await reply_load(_sender(http, stub, ours.url, secret, create_text), concurrency=1, seconds=0.5, label="warm-up")
            await reply_load(_sender(http, stub, echo.url, secret, echo_text), concurrency=4, seconds=0.5, label="warm-up")
            for concurrency in CONCURRENCY:
                results: dict[str, list[Result]] = {label: [] for label, _, _ in rows}
                for _round in range(bench.rounds):
                    for label, server, text in rows:
                        results[label].append(await reply_load(
                            _sender(http, stub, server.url, secret, text), concurrency=concurrency,
                            seconds=bench.seconds, label=label,
                        ))
                tables.append(interleaved_table(
                    f"Slack inbound (Events API), {concurrency} concurrent conversations ({bench.rounds} interleaved "
                    f"rounds of {bench.seconds:.0f} s)", results, baseline=ECHO, column="÷ slack-bolt echo",
                ))
        bench.shared.setdefault("rss", {})["slack"] = ours.peak_rss_mib()
        bench.shared.setdefault("rss_names", {})["slack"] = ours.name
    finally:
        ours.stop()
        echo.stop()
        await stub.stop()
    return tables
