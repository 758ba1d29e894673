"""`POST /api/messages`: the Bot Framework endpoint Teams (or the Emulator) posts activities to.

The route does what botbuilder's stock `CloudAdapter.process` does, minus its failure modes: the caller is
checked first (401) — the token is validated before anything in the body matters beyond its `serviceUrl` and
`channelId`, which a bounded parse reads for the token's claim binding — then the body must be a JSON activity
with plain ids and an http(s) serviceUrl (400), and the invoke answer is serialised once. Without Bot Framework
authentication the serviceUrl's host must also be one of `TEAMS_SERVICE_URL_HOSTS` (nothing binds it there).
A reply the Bot Connector refuses or cannot take in time goes to the outbox (see `adapters.teams.turn`) and the
request is answered 200; a connector failure outside the reply (a roster lookup) is still a 502.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from aiohttp import web
from botbuilder.core.serializer_helper import DEPENDICIES_DICT
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult
from msrest.exceptions import HttpOperationError
from msrest.serialization import Model, Serializer

from adapters.teams.auth import TeamsAuthentication, is_loopback
from adapters.teams.connector import CONNECTOR_FAILURES, refusal
from adapters.teams.translate import BadActivity, check, service_url_host
from adapters.teams.turn import TeamsBot
from adapters.teams.wire import activity_from_json
from bot.web import BadBody, header, json_error, parse_json, read_body

log = logging.getLogger(__name__)

PATH = "/api/messages"
# One serializer for invoke answers, as botbuilder's `serializer_helper` uses (the same models, the same call):
# that helper makes a new one for each answer, and a serializer refers to itself through its bound methods, so
# each was left for the garbage collector.
_INVOKE_BODIES = Serializer(DEPENDICIES_DICT)


def parse_activity(body: Any) -> Activity:
    """The checked activity as botbuilder's model; raises `BadActivity` when a field has the wrong type."""
    check(body)
    try:
        return activity_from_json(body)
    except Exception:  # msrest raises several types for a field of the wrong type or format
        raise BadActivity("The activity has a field of the wrong type or format.") from None


def claimed(body: Any) -> Activity:
    """What the token is checked against: the body's serviceUrl and channelId when the bounded parse found them
    as strings, else nothing (the token is then checked without the serviceUrl binding, and the body is
    refused as a 400 once the caller has proved who it is)."""
    fields = body if isinstance(body, dict) else {}
    service_url, channel_id = fields.get("serviceUrl"), fields.get("channelId")
    return Activity(
        service_url=service_url if isinstance(service_url, str) and service_url else None,
        channel_id=channel_id if isinstance(channel_id, str) else None,
    )


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Whether `host` is one of `allowed`, where `*.example.com` stands for any subdomain of example.com."""
    host = host.lower().rstrip(".")
    return any(host == entry or (entry.startswith("*.") and host.endswith(entry[1:])) for entry in allowed)


class MessagesEndpoint:
    """The aiohttp handler of `POST /api/messages`."""

    def __init__(
        self,
        adapter: CloudAdapter,
        auth: TeamsAuthentication,
        bot: TeamsBot,
        *,
        app_id: str,
        service_url_hosts: tuple[str, ...] = (),
    ) -> None:
        self.adapter = adapter
        self.auth = auth
        self.bot = bot
        self.app_id = app_id
        self.service_url_hosts = service_url_hosts

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.app_id and not is_loopback(request.remote):
            return json_error(401, "Teams runs without Bot Framework authentication here; only local callers may post.")
        auth_header = header(request, "Authorization")
        if self.app_id and not auth_header:
            return json_error(401, "A Bot Framework token (Authorization: Bearer …) is required.")
        raw = await read_body(request)
        # Parsed once: the token is checked against what it finds, the body only once the caller is known.
        body: Any = None
        refused: BadBody | None = None
        try:
            body = parse_json(raw)
        except BadBody as exc:
            refused = exc
        authenticated = await self._authenticate(claimed(body), auth_header) if self.app_id else None
        if self.app_id and authenticated is None:
            return json_error(401, "The Bot Framework token is not valid.")
        try:
            if refused is not None:
                raise refused
            activity = parse_activity(body)
            host = service_url_host(body["serviceUrl"])
            if not self.app_id and not host_allowed(host, self.service_url_hosts):
                raise BadActivity(f"The serviceUrl host {host!r} is not one of TEAMS_SERVICE_URL_HOSTS.")
        except (BadActivity, BadBody) as exc:
            return json_error(400, str(exc))
        if authenticated is None:
            authenticated = await self._authenticate(activity, "")
            if authenticated is None:
                return json_error(401, "The Bot Framework token is not valid.")
        try:
            turn = partial(self.bot.on_turn, activity=body)
            answer = await self.adapter.process_activity(authenticated, activity, turn)
        except CONNECTOR_FAILURES as exc:
            log.warning("the Bot Connector did not take the reply: %s", _describe(exc))
            return json_error(502, "The Bot Connector did not accept the reply; try again.")
        if answer is None:
            return web.Response(status=200)
        payload = _INVOKE_BODIES._serialize(answer.body) if isinstance(answer.body, Model) else answer.body
        return web.json_response(payload, status=answer.status)


    async def _authenticate(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult | None:
        """The validated caller, or None when it is refused (whatever the reason: a bad token, signing keys that
        cannot be fetched)."""
        try:
            return await self.auth.authenticate_request(activity, auth_header)
        except Exception as exc:
            log.info("refused a Teams activity: %s", type(exc).__name__)
            return None


def _describe(exc: BaseException) -> str:
    """A log-safe description of a connector failure: its type and HTTP status, never request headers."""
    status = refusal(exc)[0] if isinstance(exc, HttpOperationError) else None
    return f"{type(exc).__name__} (HTTP {status})" if status else type(exc).__name__
