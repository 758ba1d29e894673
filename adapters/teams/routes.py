"""`POST /api/messages`: the Bot Framework endpoint Teams (or the Emulator) posts activities to.

The route does what botbuilder's stock `CloudAdapter.process` does, minus its failure modes: the caller is
checked first (401), the body must be a JSON activity (400), and the invoke answer is serialised once. A
reply the Bot Connector refuses or cannot take is a 502 (the core has acted; a redelivery is not run twice).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.exceptions import HttpOperationError
from msrest.serialization import Model

from adapters.teams.auth import TeamsAuthentication, is_loopback
from adapters.teams.connector import CONNECTOR_FAILURES, refusal
from adapters.teams.translate import BadActivity, check
from adapters.teams.turn import TeamsBot
from bot.web import BadBody, header, json_error, read_json

log = logging.getLogger(__name__)

PATH = "/api/messages"


def parse_activity(body: Any) -> Activity:
    """The checked activity as botbuilder's model; raises `BadActivity` when a field has the wrong type."""
    check(body)
    try:
        return Activity().deserialize(body)
    except Exception:  # msrest raises several types for a field of the wrong type or format
        raise BadActivity("The activity has a field of the wrong type or format.") from None


class MessagesEndpoint:
    """The aiohttp handler of `POST /api/messages`."""

    def __init__(self, adapter: CloudAdapter, auth: TeamsAuthentication, bot: TeamsBot, *, app_id: str) -> None:
        self.adapter = adapter
        self.auth = auth
        self.bot = bot
        self.app_id = app_id

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.app_id and not is_loopback(request.remote):
            return json_error(401, "Teams runs without Bot Framework authentication here; only local callers may post.")
        auth_header = header(request, "Authorization")
        if self.app_id and not auth_header:
            return json_error(401, "A Bot Framework token (Authorization: Bearer …) is required.")
        try:
            body = await read_json(request)
            activity = parse_activity(body)
        except (BadActivity, BadBody) as exc:
            return json_error(400, str(exc))
        try:
            authenticated = await self.auth.authenticate_request(activity, auth_header)
        except Exception as exc:  # whatever the reason (bad token, unreachable signing keys), the caller is refused
            log.info("refused a Teams activity: %s", type(exc).__name__)
            return json_error(401, "The Bot Framework token is not valid.")
        try:
            turn = partial(self.bot.on_turn, activity=body)
            answer = await self.adapter.process_activity(authenticated, activity, turn)
        except CONNECTOR_FAILURES as exc:
            log.warning("the Bot Connector did not take the reply: %s", _describe(exc))
            return json_error(502, "The Bot Connector did not accept the reply; try again.")
        if answer is None:
            return web.Response(status=200)
        payload = serializer_helper(answer.body) if isinstance(answer.body, Model) else answer.body
        return web.json_response(payload, status=answer.status)


def _describe(exc: BaseException) -> str:
    """A log-safe description of a connector failure: its type and HTTP status, never request headers."""
    status = refusal(exc)[0] if isinstance(exc, HttpOperationError) else None
    return f"{type(exc).__name__} (HTTP {status})" if status else type(exc).__name__
