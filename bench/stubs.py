"""Local Slack Web API and Webex REST stubs for the bench, in the load process, and a rate-limited Bot Connector
(the plain one is in `harness`).

Each answers the few calls the bots make, in the platform's shapes (tests/fakes has the complete fakes), and
records when a message reached it: a waiter registered for a channel or space (`expect`) is resolved with the
arrival time of the next message posted there, and `tally` counts what was accepted. With a `Limiter` it
refuses what the platform's rate limits would refuse (429 with Retry-After).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bench.harness import ConnectorStub, free_port
from bench.limits import Limiter

SLACK_TEAM = "TBENCH"
SLACK_USER = "UBENCH"
WEBEX_BOT_ID = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9iZW5jaC1ib3Q"
WEBEX_PERSON_ID = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9iZW5jaC11c2Vy"


@dataclass
class Tally:
    """Messages a stub accepted, when the first and the last arrived (perf_counter), and 429s it answered."""

    accepted: int = 0
    first: float = 0.0
    last: float = 0.0
    refused: int = 0

    def accept(self) -> float:
        now = time.perf_counter()
        self.accepted += 1
        self.first = self.first or now
        self.last = now
        return now


@dataclass
class _Waiters:
    """Futures by channel or space, resolved with the arrival time of the next message posted there."""

    futures: dict[str, asyncio.Future[float]] = field(default_factory=dict)

    def expect(self, key: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.futures[key] = future
        return future

    def arrived(self, key: str, at: float) -> None:
        future = self.futures.pop(key, None)
        if future is not None and not future.done():
            future.set_result(at)


class _Stub:
    def __init__(self, app: web.Application, limiter: Limiter | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.limiter = limiter
        self.tally = Tally()
        self.waiters = _Waiters()
        self._runner = web.AppRunner(app, access_log=None)

    def expect(self, key: str) -> asyncio.Future[float]:
        """A future for the next message posted to the channel or space `key`."""
        return self.waiters.expect(key)

    def refusal(self, scopes: list[tuple[str, str]], answer: dict[str, Any]) -> web.Response | None:
        """The 429 for a request the limits refuse, else None (and the request is counted)."""
        retry_after = self.limiter.take(scopes) if self.limiter is not None else None
        if retry_after is None:
            return None
        self.tally.refused += 1
        return web.json_response(answer, status=429, headers={"Retry-After": str(retry_after)})

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()


class SlackStub(_Stub):
    """`auth.test`, `users.info`, `chat.postMessage`, `chat.update` and `conversations.open` of the Web API."""

    def __init__(self, limiter: Limiter | None = None) -> None:
        self._ts = itertools.count(1)
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        super().__init__(app, limiter)

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        args = json.loads(raw) if request.content_type == "application/json" else dict(parse_qsl(raw.decode()))
        args.update(request.query)
        if method == "auth.test":
            return web.json_response({"ok": True, "team_id": SLACK_TEAM, "user_id": "UBOTBENCH", "bot_id": "BBENCH"})
        if method == "users.info":
            user = str(args.get("user"))
            return web.json_response({"ok": True, "user": {"id": user, "name": "bench", "profile": {
                "real_name": "Bench User", "email": f"{user.lower()}@example.com"}}})
        if method == "conversations.open":
            return web.json_response({"ok": True, "channel": {"id": f"D{args.get('users')}"}})
        if method in ("chat.postMessage", "chat.update"):
            channel = str(args.get("channel"))
            token = request.headers.get("Authorization", "")
            refused = self.refusal([("channel", channel), ("workspace", token)], {"ok": False, "error": "ratelimited"})
            if refused is not None:
                return refused
            self.waiters.arrived(channel, self.tally.accept())
            ts = args.get("ts") or f"1800000000.{next(self._ts):06d}"
            return web.json_response({"ok": True, "channel": channel, "ts": ts, "message": {"text": args.get("text")}})
        return web.json_response({"ok": False, "error": "unknown_method"})


class WebexStub(_Stub):
    """`GET /people/me`, `GET /people/{id}`, `GET /messages/{id}` (from `messages`) and `POST /messages`."""

    def __init__(self, limiter: Limiter | None = None) -> None:
        self.messages: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        app = web.Application()
        app.router.add_get("/v1/people/me", self._me)
        app.router.add_get("/v1/people/{id}", self._person)
        app.router.add_get("/v1/messages/{id}", self._message)
        app.router.add_post("/v1/messages", self._post_message)
        super().__init__(app, limiter)

    @property
    def api_url(self) -> str:
        return self.url + "/v1/"

    async def _me(self, _request: web.Request) -> web.Response:
        return web.json_response({"id": WEBEX_BOT_ID, "emails": ["ticketbot@webex.bot"], "displayName": "Ticketbot",
                                  "nickName": "Ticketbot", "type": "bot"})

    async def _person(self, request: web.Request) -> web.Response:
        person = request.match_info["id"]
        return web.json_response({"id": person, "displayName": "Bench User", "emails": ["bench@example.com"]})

    async def _message(self, request: web.Request) -> web.Response:
        message = self.messages.pop(request.match_info["id"], None)
        if message is None:
            return web.json_response({"message": "The requested resource could not be found.", "trackingId": "b"},
                                     status=404)
        return web.json_response(message)

    async def _post_message(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read() or b"{}")
        room = str(body.get("roomId") or body.get("toPersonId"))
        refused = self.refusal([("bot", request.headers.get("Authorization", ""))],
                               {"message": "Too many requests.", "trackingId": "bench"})
        if refused is not None:
            return refused
        self.waiters.arrived(room, self.tally.accept())
        return web.json_response({"id": f"Y2lzY29zcGFyazovL3VzL01FU1NBR0UvYmVuY2g-{next(self._ids)}", "roomId": room,
                                  "personId": WEBEX_BOT_ID})


class LimitedConnector(ConnectorStub):
    """The Bot Connector stub counting what it accepted, refusing what Teams' limits would (per conversation,
    per tenant: the `tenantId` of the activity's conversation)."""

    def __init__(self, limiter: Limiter) -> None:
        super().__init__()
        self.limiter = limiter
        self.tally = Tally()

    async def _reply(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read() or b"{}")
        conversation = request.match_info["conversation"]
        tenant = str((body.get("conversation") or {}).get("tenantId"))
        retry_after = self.limiter.take([("conversation", conversation), ("tenant", tenant)])
        if retry_after is not None:
            self.tally.refused += 1
            return web.json_response({"error": {"code": "Throttled", "message": "Too many requests"}}, status=429,
                                     headers={"Retry-After": str(retry_after)})
        self.tally.accept()
        return web.json_response({"id": f"bench-{self.tally.accepted}"}, status=201)
