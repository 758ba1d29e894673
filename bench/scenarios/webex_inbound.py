"""Webex inbound: the full webhook path (create a ticket; read-only `show 1`) against the write ceiling, a plain
aiohttp handler writing one row per request with our SQLite set-up (`bots/plain_insert.py`).

ticketbot runs in its own process with a webhook secret, so every request is signed (`X-Spark-Signature`,
HMAC-SHA1 of the body). A webhook names its message by id only: ticketbot fetches it from the Webex REST stub
in the load process (the stub serves what the load put there for that id), runs the turn and posts the reply
to the stub before answering the webhook. Each request is a new message in one of 256 direct spaces with the
bench user; ticketbot's latency runs from sending the webhook to its reply reaching the stub, the ceiling's to
its HTTP answer. Rows interleave round after round; each ratio divides figures of the same round.
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
from bench.harness import PYTHON, TICKETBOT, Result, Server, create_text, interleaved_table, reply_load, show_text
from bench.registry import Bench, Table, register
from bench.stubs import WEBEX_PERSON_ID, WebexStub

CONCURRENCY = (16, 64)
REPLY_TIMEOUT = 30.0  # seconds a reply may take before the request counts as an error
CEILING = "bare aiohttp + one insert, SQLite"
WEBHOOK_ID = "Y2lzY29zcGFyazovL3VzL1dFQkhPT0svYmVuY2g"
EMAIL = "bench@example.com"


def _room(conversation: int) -> str:
    return f"Y2lzY29zcGFyazovL3VzL1JPT00vYmVuY2g-{conversation:04d}"


def _webhook(message_id: str, room: str) -> dict:
    """A `messages:created` webhook for a direct message (the shape of the captured sample in tests/payloads)."""
    return {
        "id": WEBHOOK_ID, "name": "ticketbot messages", "targetUrl": "http://127.0.0.1/webex/events",
        "resource": "messages", "event": "created", "orgId": "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9iZW5jaA",
        "createdBy": WEBHOOK_ID, "appId": "Y2lzY29zcGFyazovL3VzL0FQUExJQ0FUSU9OL2JlbmNo", "ownedBy": "creator",
        "status": "active", "created": "2026-12-02T00:00:00.000Z", "actorId": WEBEX_PERSON_ID,
        "data": {"id": message_id, "roomId": room, "roomType": "direct", "personId": WEBEX_PERSON_ID,
                 "personEmail": EMAIL, "created": "2026-12-02T00:00:01.000Z"},
    }


def _sender(http: aiohttp.ClientSession, stub: WebexStub, url: str, secret: str, text: Callable[[int], str], *,
            replies: bool) -> Callable[[int, int], Awaitable[float | None]]:
    """Posts signed webhooks to `url`; with `replies`, puts the message in the stub first and waits for the reply
    there, else the latency is the HTTP answer."""

    async def send(n: int, conversation: int) -> float | None:
        room, message_id = _room(conversation), f"Y2lzY29zcGFyazovL3VzL01FU1NBR0UvYmVuY2g-in-{n}"
        body = json.dumps(_webhook(message_id, room)).encode()
        headers = {"Content-Type": "application/json",
                   "X-Spark-Signature": hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}
        reply = None
        if replies:
            stub.messages[message_id] = {"id": message_id, "roomId": room, "roomType": "direct", "text": text(n),
                                         "personId": WEBEX_PERSON_ID, "personEmail": EMAIL,
                                         "created": "2026-12-02T00:00:01.000Z"}
            reply = stub.expect(room)
        start = time.perf_counter()
        try:
            async with http.post(url, data=body, headers=headers) as resp:
                await resp.read()
                if resp.status >= 300:
                    return None
            if reply is None:
                return time.perf_counter() - start
            return await asyncio.wait_for(reply, REPLY_TIMEOUT) - start
        except (aiohttp.ClientError, TimeoutError):
            return None
        finally:
            stub.messages.pop(message_id, None)

    return send


@register("webex-inbound", order=14)
async def webex_inbound(bench: Bench) -> list[Table]:
    log = bench.workdir / "servers.log"
    sqlite_url = f"sqlite+aiosqlite:///{bench.workdir / 'webex.db'}"
    await migrate(sqlite_url)
    stub = WebexStub()
    await stub.start()
    secret = secrets.token_urlsafe(32)
    ours = Server("ticketbot (Webex, SQLite)", [TICKETBOT, "serve", "--port", "{port}"],
                  {"DATABASE_URL": sqlite_url, "WEBEX_ACCESS_TOKEN": "bench-webex-bot-token",
                   "WEBEX_WEBHOOK_SECRET": secret, "WEBEX_API_URL": stub.api_url})
    plain = Server("aiohttp + one insert", [PYTHON, "-m", "bench.bots.plain_insert", "{port}",
                                              f"sqlite+aiosqlite:///{bench.workdir / 'webex-plain.db'}"])
    rows = [("create, SQLite", ours.url + "/webex/events", create_text, True),
            ("show 1 (read only), SQLite", ours.url + "/webex/events", show_text, True),
            (CEILING, plain.url + "/hook", create_text, False)]
    tables = []
    try:
        await ours.start(log)
        await plain.start(log)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            # ticket 1 exists, by the bench user, before anything is measured
            for _label, url, text, replies in (rows[0], rows[2]):
                await reply_load(_sender(http, stub, url, secret, text, replies=replies), concurrency=1 if replies else 2,
                                 seconds=0.5, label="warm-up")
            for concurrency in CONCURRENCY:
                results: dict[str, list[Result]] = {label: [] for label, _, _, _ in rows}
                for _round in range(bench.rounds):
                    for label, url, text, replies in rows:
                        results[label].append(await reply_load(
                            _sender(http, stub, url, secret, text, replies=replies), concurrency=concurrency,
                            seconds=bench.seconds, label=label,
                        ))
                tables.append(interleaved_table(
                    f"Webex webhooks vs the write ceiling, {concurrency} concurrent conversations ({bench.rounds} "
                    f"interleaved rounds of {bench.seconds:.0f} s)", results, baseline=CEILING,
                    column="÷ aiohttp + one insert",
                ))
        bench.shared.setdefault("rss", {})["webex"] = ours.peak_rss_mib()
        bench.shared.setdefault("rss_names", {})["webex"] = ours.name
    finally:
        ours.stop()
        plain.stop()
        await stub.stop()
    return tables
