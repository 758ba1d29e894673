"""A local Bot Connector: the REST API a bot calls at an activity's `serviceUrl`, recording every request.

It answers the way the real service does (`{"id": ...}` for a posted activity, a conversation resource for a
new conversation, a member or a 404 for a roster lookup), and can be told to refuse the next requests (429 with
Retry-After, 5xx) to exercise failure paths, to inject random faults (`faults`, see tests/fakes/faults.py), to
hold every request from the n-th on without answering (so a test can kill the bot mid fan-out: a held request
was never accepted), or to take `answer_delay` seconds over each answer (a slow platform, so a test can stop
the bot while sends are in flight). Tests point the activities' `serviceUrl` at `url + "/"`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.faults import Faults
from tests.http import LocalServer


@dataclass(frozen=True)
class Recorded:
    """One request the stub received."""

    method: str
    path: str
    conversation_id: str | None
    activity_id: str | None
    json: Any
    headers: dict[str, str] = field(repr=False)
    status: int = 200
    answer: Any = None
    at: float = 0.0  # time.monotonic() when the request arrived


@dataclass(frozen=True)
class Refusal:
    """How to answer the next request instead of accepting it."""

    status: int
    retry_after: str | None = None


class BotConnectorStub(LocalServer):
    """The fake service. Use as `async with BotConnectorStub() as connector:`; `connector.url` is its base."""

    def __init__(self, members: dict[str, dict[str, Any]] | None = None, *, faults: Faults | None = None) -> None:
        self.members = dict(members or {})
        self.faults = faults or Faults()
        self.requests: list[Recorded] = []
        self.refusals: list[Refusal] = []
        self.hold_from: int | None = None
        self.held = 0
        self.answer_delay = 0.0
        self._release = asyncio.Event()
        self._ids = itertools.count(1700000000001)
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._post_activity)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._post_activity)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._put_activity)
        app.router.add_delete("/v3/conversations/{conversation}/activities/{activity}", self._delete_activity)
        app.router.add_get("/v3/conversations/{conversation}/members", self._members)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        super().__init__(app)

    @property
    def service_url(self) -> str:
        """What to put in an activity's `serviceUrl`."""
        return self.url + "/"

    def refuse_next(self, status: int, retry_after: str | None = None) -> None:
        """Answer the next request with this error status instead."""
        self.refusals.append(Refusal(status, retry_after))

    def hold(self, after: int) -> None:
        """Accept `after` more requests, then hold every later one unanswered until `release()`."""
        self.hold_from = len(self.requests) + after
        self._release.clear()

    def release(self) -> None:
        """Stop holding: held requests are answered 503 (and recorded so), later ones normally."""
        self.hold_from = None
        self._release.set()

    def accepted(self) -> list[Recorded]:
        """The activities the stub accepted (answered with success)."""
        return [r for r in self.activities() if r.status < 300]

    def activities(self) -> list[Recorded]:
        """The activities the bot posted or replaced, in order (roster lookups and the like left out)."""
        return [r for r in self.requests if r.method in {"POST", "PUT"} and "/activities" in r.path]

    async def _answer(self, request: web.Request, status: int, answer: Any) -> web.Response:
        """Record the request, then answer it as given, or with the next queued refusal."""
        body = await request.read()
        arrived = time.monotonic()
        fault = await self.faults.strike(request)
        if fault is not None and fault.dropped:
            return fault.gone()
        if fault is not None:
            self.refusals.insert(0, Refusal(fault.status, fault.retry_after))
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        if self.hold_from is not None and len(self.requests) + self.held >= self.hold_from:
            self.held += 1
            await self._release.wait()
            self.held -= 1
            status, answer = 503, {"error": {"code": "ServiceError", "message": "held, then refused"}}
            headers = None
        elif self.refusals:
            refusal = self.refusals.pop(0)
            status = refusal.status
            answer = {"error": {"code": "ServiceError", "message": f"refused with {status}"}}
            headers = {"Retry-After": refusal.retry_after} if refusal.retry_after else None
        else:
            headers = None
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                request.match_info.get("conversation"),
                request.match_info.get("activity"),
                json.loads(body) if body else None,
                dict(request.headers),
                status,
                answer,
                arrived,
            )
        )
        return web.json_response(answer, status=status, headers=headers)

    def _new_id(self) -> str:
        return str(next(self._ids))

    async def _create_conversation(self, request: web.Request) -> web.Response:
        created = {"id": f"a:stub-{self._new_id()}", "activityId": self._new_id(), "serviceUrl": self.service_url}
        return await self._answer(request, 201, created)

    async def _post_activity(self, request: web.Request) -> web.Response:
        return await self._answer(request, 201, {"id": self._new_id()})

    async def _put_activity(self, request: web.Request) -> web.Response:
        return await self._answer(request, 200, {"id": request.match_info["activity"]})

    async def _delete_activity(self, request: web.Request) -> web.Response:
        return await self._answer(request, 200, {})

    async def _members(self, request: web.Request) -> web.Response:
        return await self._answer(request, 200, list(self.members.values()))

    async def _member(self, request: web.Request) -> web.Response:
        # The service takes a Teams user id or an AAD object id.
        wanted = request.match_info["member"]
        member = self.members.get(wanted) or next(
            (m for m in self.members.values() if m.get("aadObjectId") == wanted), None
        )
        if member is None:
            missing = {"error": {"code": "MemberNotFoundInConversation", "message": "The member was not found."}}
            return await self._answer(request, 404, missing)
        return await self._answer(request, 200, member)
