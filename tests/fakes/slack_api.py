"""A local Slack: the Web API (`/api/<method>`, GET or POST) and the Socket Mode websocket, recording every call.

Web API answers follow Slack's shapes (`{"ok": true, ...}`; `{"ok": false, "error": ...}` with HTTP 200 for a
refusal); `refuse_next` answers the next call with an HTTP status (429 with Retry-After) or a Slack error code,
and `faults` injects random ones (tests/fakes/faults.py).
Tokens name their workspace: `xoxb-<team>` is the bot token of that team, whose bot user is `UBOT<team>`.
`apps.connections.open` answers the websocket URL of this server; the socket sends `hello`, lets the test push
envelopes with `push`, records every ack and can be dropped with `drop` (the client must reconnect).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.fakes.faults import Faults
from tests.http import LocalServer


@dataclass(frozen=True)
class Call:
    """One Web API call the stub received."""

    method: str
    args: dict[str, Any]
    token: str | None
    status: int = 200
    answer: Any = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Refusal:
    """How to answer the next call (to `method`, or any) instead of accepting it."""

    status: int = 200
    error: str = ""
    retry_after: str | None = None
    method: str | None = None


def bot_token(team: str) -> str:
    return f"xoxb-{team}"


def bot_user(team: str) -> str:
    return f"UBOT{team}"


class SlackApiStub(LocalServer):
    """The fake Slack. `async with SlackApiStub() as slack:`; `slack.api_url` goes in `SLACK_API_URL`."""

    def __init__(self, *, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.calls: list[Call] = []
        self.refusals: list[Refusal] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.channels: list[dict[str, Any]] = []
        self.oauth_team = "T222"
        self.acks: list[dict[str, Any]] = []
        self.connections = 0
        self._sockets: list[web.WebSocketResponse] = []
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_get("/socket", self._socket)
        super().__init__(app)

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def refuse_next(self, status: int = 200, *, error: str = "", retry_after: str | None = None,
                    method: str | None = None) -> None:
        """Refuse the next call (to `method` only, when given) with this HTTP status or Slack error code."""
        default = "ratelimited" if status == 429 else "internal_error"
        self.refusals.append(Refusal(status, error or default, retry_after, method))

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        """The calls to `method` once there are at least `count` of them (fails the test after `within` s)."""
        async def enough() -> list[Call]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.calls_to(method)) >= count)
            return self.calls_to(method)

        return await asyncio.wait_for(enough(), within)

    # Web API ----------------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        fault = await self.faults.strike(request)
        if fault is not None and fault.dropped:
            return fault.gone()
        if fault is not None:
            self.refusals.insert(0, Refusal(fault.status, "ratelimited" if fault.status == 429 else "internal_error",
                                            fault.retry_after))
        if request.content_type == "application/json":
            args = json.loads(raw) if raw else {}
        else:
            args = dict(parse_qsl(raw.decode()))
        args.update(dict(request.query))
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        status, answer, headers = 200, self._answer(method, args, token), {}
        refusal = next((r for r in self.refusals if r.method in (None, method)), None)
        if refusal is not None:
            self.refusals.remove(refusal)
            status, answer = refusal.status, {"ok": False, "error": refusal.error}
            if refusal.retry_after:
                headers["Retry-After"] = refusal.retry_after
        async with self._changed:
            self.calls.append(Call(method, args, token, status, answer, dict(request.headers)))
            self._changed.notify_all()
        return web.json_response(answer, status=status, headers=headers)

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        team = token.removeprefix("xoxb-") if token and token.startswith("xoxb-") else None
        if method == "auth.test":
            if team is None:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "team_id": team, "user_id": bot_user(team), "bot_id": f"B{team}",
                    "url": f"https://{team.lower()}.slack.com/"}
        if method in ("chat.postMessage", "chat.update"):
            ts = args.get("ts") or f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": {"text": args.get("text")}}
        if method == "chat.getPermalink":
            channel, ts = args.get("channel"), str(args.get("message_ts"))
            return {"ok": True, "channel": channel,
                    "permalink": f"https://example.slack.com/archives/{channel}/p{ts.replace('.', '')}"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{args.get('users')}"}}
        if method == "conversations.replies":
            message = self.messages.get((str(args.get("channel")), str(args.get("ts"))))
            if message is None:
                return {"ok": False, "error": "thread_not_found"}
            return {"ok": True, "messages": [message], "has_more": False}
        if method == "users.conversations":
            types = str(args.get("types") or "public_channel").split(",")
            kinds = {"public_channel": "is_channel", "private_channel": "is_private", "im": "is_im",
                     "mpim": "is_mpim"}
            wanted = [c for c in self.channels if any(c.get(kinds.get(t, t)) for t in types)]
            return {"ok": True, "channels": wanted, "response_metadata": {"next_cursor": ""}}
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method in ("views.open", "views.publish", "views.update"):
            return {"ok": True, "view": {"id": f"V{next(self._ts)}", **(args.get("view") or {})}}
        if method == "oauth.v2.access":
            if args.get("code") != "good-code":
                return {"ok": False, "error": "invalid_code"}
            team = self.oauth_team
            return {"ok": True, "access_token": bot_token(team), "token_type": "bot", "scope": "chat:write",
                    "bot_user_id": bot_user(team), "app_id": "A111", "team": {"id": team, "name": "Client Co"},
                    "enterprise": None, "is_enterprise_install": False, "authed_user": {"id": "U999"}}
        if method == "apps.connections.open":
            if not (token or "").startswith("xapp-"):
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"}
        return {"ok": False, "error": "unknown_method"}

    # Socket Mode ------------------------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A111"}})
        async with self._changed:
            self.connections += 1
            self._sockets.append(ws)
            self._changed.notify_all()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                async with self._changed:
                    self.acks.append(json.loads(msg.data))
                    self._changed.notify_all()
        if ws in self._sockets:
            self._sockets.remove(ws)
        return ws

    async def wait_connected(self, count: int = 1, within: float = 5.0) -> None:
        """Until the client has opened its `count`-th socket and one is open."""
        async def opened() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: self.connections >= count and bool(self._sockets))

        await asyncio.wait_for(opened(), within)

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send an envelope on the open socket."""
        await self._sockets[-1].send_json(envelope)

    async def wait_ack(self, envelope_id: str, within: float = 5.0) -> dict[str, Any]:
        async def acked() -> dict[str, Any]:
            async with self._changed:
                await self._changed.wait_for(lambda: any(a.get("envelope_id") == envelope_id for a in self.acks))
            return next(a for a in self.acks if a.get("envelope_id") == envelope_id)

        return await asyncio.wait_for(acked(), within)

    async def drop(self) -> None:
        """Close the open socket the way Slack does before a refresh (`disconnect`, then close)."""
        ws = self._sockets.pop()
        await ws.send_json({"type": "disconnect", "reason": "refresh_requested"})
        await ws.close()
