"""A local Webex REST API: people, messages, attachment actions, rooms, memberships and webhooks, recording every request.

It answers the way Webex does (a created message with its id, room and `roomType`; lists as `{"items": […]}`;
errors as `{"message", "trackingId"}`), keeps what it serves in plain dicts the tests fill (`messages`,
`actions`, `people`, `rooms`, `memberships`), and can be told to refuse the next requests (429 with or without
Retry-After, 5xx) or to inject random faults (`faults`, see tests/fakes/faults.py).
Tests point `WEBEX_API_URL` at `api_url`.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.faults import Faults
from tests.http import LocalServer

BOT_ID = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9ib3QtdGlja2V0Ym90"
BOT = {
    "id": BOT_ID,
    "emails": ["ticketbot@webex.bot"],
    "displayName": "Ticketbot",
    "nickName": "Ticketbot",
    "type": "bot",
}


@dataclass(frozen=True)
class Recorded:
    """One request the stub received."""

    method: str
    path: str
    json: Any
    headers: dict[str, str] = field(repr=False)
    status: int = 200
    at: float = 0.0  # time.monotonic() when the request arrived


@dataclass(frozen=True)
class Refusal:
    """How to answer the next matching request instead of serving it."""

    status: int
    retry_after: str | None = None
    method: str | None = None


class WebexApiStub(LocalServer):
    """The fake API. Use as `async with WebexApiStub() as webex:`; `webex.api_url` is its base URL."""

    def __init__(self, *, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.messages: dict[str, dict[str, Any]] = {}
        self.actions: dict[str, dict[str, Any]] = {}
        self.people: dict[str, dict[str, Any]] = {BOT_ID: BOT}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.rooms: dict[str, dict[str, Any]] = {}
        self.memberships: list[dict[str, Any]] = []
        self.requests: list[Recorded] = []
        self.refusals: list[Refusal] = []
        self._ids = itertools.count(1)
        app = web.Application()
        app.router.add_get("/v1/people/me", self._me)
        app.router.add_get("/v1/people/{id}", self._person)
        app.router.add_get("/v1/messages/{id}", self._message)
        app.router.add_post("/v1/messages", self._post_message)
        app.router.add_get("/v1/attachment/actions/{id}", self._action)
        app.router.add_get("/v1/rooms", self._list_rooms)
        app.router.add_get("/v1/memberships", self._list_memberships)
        app.router.add_get("/v1/webhooks", self._list_webhooks)
        app.router.add_post("/v1/webhooks", self._create_webhook)
        app.router.add_put("/v1/webhooks/{id}", self._update_webhook)
        app.router.add_delete("/v1/webhooks/{id}", self._delete_webhook)
        super().__init__(app)

    @property
    def api_url(self) -> str:
        """What to set as `WEBEX_API_URL`."""
        return self.url + "/v1/"

    def refuse_next(self, status: int, retry_after: str | None = None, *, method: str | None = None) -> None:
        """Answer the next request (the next with this method, when given) with this error status."""
        self.refusals.append(Refusal(status, retry_after, method))

    def posted(self) -> list[dict[str, Any]]:
        """The bodies of the messages the bot posted and Webex accepted, in order."""
        return [r.json for r in self.requests if r.method == "POST" and r.path == "/v1/messages" and r.status == 200]

    def message_posts(self) -> list[Recorded]:
        """Every `POST /messages` the stub received (accepted or refused), in order."""
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/messages"]

    def fetched(self) -> list[str]:
        """The paths of the GET requests, in order."""
        return [r.path for r in self.requests if r.method == "GET"]

    def new_id(self, kind: str) -> str:
        """A Webex-looking id for a resource of this kind."""
        return f"Y2lzY29zcGFyazovL3VzL{kind}-stub-{next(self._ids)}"

    async def _serve(self, request: web.Request, status: int, answer: Any) -> web.Response:
        at = time.monotonic()
        body = await request.read()
        fault = await self.faults.strike(request)
        if fault is not None and fault.dropped:
            return fault.gone()
        if fault is not None:
            self.refusals.insert(0, Refusal(fault.status, fault.retry_after))
        refusal = next((r for r in self.refusals if r.method in (None, request.method)), None)
        headers = None
        if refusal is not None:
            self.refusals.remove(refusal)
            status = refusal.status
            answer = {"message": f"refused with {status}", "trackingId": "stub"}
            headers = {"Retry-After": refusal.retry_after} if refusal.retry_after is not None else None
        self.requests.append(
            Recorded(request.method, request.path, json.loads(body) if body else None, dict(request.headers), status, at)
        )
        if status == 204:
            return web.Response(status=204)
        return web.json_response(answer, status=status, headers=headers)

    async def _missing(self, request: web.Request) -> web.Response:
        return await self._serve(request, 404, {"message": "The requested resource could not be found.",
                                                "trackingId": "stub"})

    async def _me(self, request: web.Request) -> web.Response:
        return await self._serve(request, 200, BOT)

    async def _person(self, request: web.Request) -> web.Response:
        person = self.people.get(request.match_info["id"])
        return await self._serve(request, 200, person) if person else await self._missing(request)

    async def _message(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["id"])
        return await self._serve(request, 200, message) if message else await self._missing(request)

    async def _action(self, request: web.Request) -> web.Response:
        action = self.actions.get(request.match_info["id"])
        return await self._serve(request, 200, action) if action else await self._missing(request)

    async def _post_message(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read() or b"{}")
        person = body.get("toPersonId") or body.get("toPersonEmail")
        room = body.get("roomId") or f"Y2lzY29zcGFyazovL3VzL1JPT00-direct-{person}"
        message = {
            "id": self.new_id("01FU1NBR0U"),
            "roomId": room,
            "roomType": "direct" if person else self._room_type(room),
            "personId": BOT_ID,
            "personEmail": BOT["emails"][0],
            **{k: v for k, v in body.items() if k in ("text", "markdown", "attachments", "parentId")},
        }
        answer = await self._serve(request, 200, message)
        if answer.status == 200:
            self.messages[message["id"]] = message
        return answer

    def _room_type(self, room: str) -> str:
        known = [m.get("roomType") for m in self.messages.values() if m.get("roomId") == room]
        return next((t for t in known if t), "group")

    async def _list_rooms(self, request: web.Request) -> web.Response:
        return await self._serve(request, 200, {"items": list(self.rooms.values())})

    async def _list_memberships(self, request: web.Request) -> web.Response:
        room = request.query.get("roomId")
        return await self._serve(request, 200, {"items": [m for m in self.memberships if m.get("roomId") == room]})

    async def _list_webhooks(self, request: web.Request) -> web.Response:
        return await self._serve(request, 200, {"items": list(self.webhooks.values())})

    async def _create_webhook(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read() or b"{}")
        webhook = {"id": self.new_id("1dFQkhPT0s"), "status": "active", "created": "2026-12-02T00:00:00.000Z",
                   **{k: body.get(k) for k in ("name", "targetUrl", "resource", "event", "secret")}}
        answer = await self._serve(request, 200, webhook)
        if answer.status == 200:
            self.webhooks[webhook["id"]] = webhook
        return answer

    async def _update_webhook(self, request: web.Request) -> web.Response:
        webhook = self.webhooks.get(request.match_info["id"])
        if webhook is None:
            return await self._missing(request)
        body = json.loads(await request.read() or b"{}")
        changed = {**webhook, **{k: v for k, v in body.items() if k in ("name", "targetUrl", "secret", "status")}}
        answer = await self._serve(request, 200, changed)
        if answer.status == 200:
            self.webhooks[webhook["id"]] = changed
        return answer

    async def _delete_webhook(self, request: web.Request) -> web.Response:
        if request.match_info["id"] not in self.webhooks:
            return await self._missing(request)
        answer = await self._serve(request, 204, None)
        if answer.status == 204:
            del self.webhooks[request.match_info["id"]]
        return answer
