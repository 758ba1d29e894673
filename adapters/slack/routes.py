"""The HTTP side: `POST /slack/events` (events, interactivity, the slash command) and the OAuth pages.

Requests go to bolt as they came (raw body, headers), so bolt checks the signature: a bad or missing one, or a
timestamp more than five minutes old, is answered 401 with a JSON error and reaches no listener. A body that is
not UTF-8 is a 400, and so is JSON that `bot.web.parse_json` refuses or that is not an object: bolt reads it
with a bare `json.loads`, which raises on a 4,301-digit number or deep nesting (a 500) and would hand a list
on to code that expects an object.

In single-workspace mode bolt learns who the bot is from `auth.test`, called on the first event (and on every
event until one call succeeds). When that call fails, bolt answers a 500 (a timeout) or a 200 carrying
`AUTHORIZE_FAILED` (Slack refused it: 429, 5xx) and runs no listener, so the event would be acknowledged and
lost. Both are answered 503 with a JSON error instead: Slack redelivers the event, and the next try calls
`auth.test` again.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.web import BadBody, json_error, parse_json, read_body

AUTHORIZE_FAILED = "The Slack workspace could not be authorized; try again."
"""What bolt answers (status 200) when its authorization step fails: given to bolt, recognised here."""


def _check_json(body: str, content_type: str) -> None:
    """Check the JSON bolt will parse (the whole body, or a form's `payload`, chosen as bolt chooses)."""
    if content_type == "application/json" or body.startswith("{"):
        text: str | None = body
    elif "payload" in body:
        text = dict(parse_qsl(body, keep_blank_values=True)).get("payload")
    else:
        return
    if text and not isinstance(parse_json(text), dict):
        raise BadBody("The body must be a JSON object.")


async def _bolt_request(request: web.Request) -> AsyncBoltRequest | web.Response:
    try:
        body = (await read_body(request)).decode("utf-8")
    except UnicodeDecodeError:
        return json_error(400, "The body is not UTF-8.")
    _check_json(body, request.content_type)
    headers: dict[str, str | Sequence[str]] = {name.lower(): value for name, value in request.headers.items()}
    return AsyncBoltRequest(body=body, query=request.query_string, headers=headers)


class SlackRoutes:
    """The aiohttp handlers in front of the bolt app (and its OAuth flow when OAuth is on)."""

    def __init__(self, bolt: AsyncApp, flow: AsyncOAuthFlow | None = None) -> None:
        self.bolt = bolt
        self.flow = flow

    async def events(self, request: web.Request) -> web.StreamResponse:
        bolt_request = await _bolt_request(request)
        if isinstance(bolt_request, web.Response):
            return bolt_request
        answer = await self.bolt.async_dispatch(bolt_request)
        # In OAuth mode the authorization failure means the workspace is not installed: redelivering is useless.
        if self.flow is None and (answer.status >= 500 or answer.body == AUTHORIZE_FAILED):
            return json_error(503, "Slack's auth.test did not succeed, so the event was not handled; send it again.")
        return await to_aiohttp_response(answer)

    async def install(self, request: web.Request) -> web.StreamResponse:
        assert self.flow is not None
        bolt_request = await _bolt_request(request)
        if isinstance(bolt_request, web.Response):
            return bolt_request
        return await to_aiohttp_response(await self.flow.handle_installation(bolt_request))

    async def oauth_redirect(self, request: web.Request) -> web.StreamResponse:
        assert self.flow is not None
        bolt_request = await _bolt_request(request)
        if isinstance(bolt_request, web.Response):
            return bolt_request
        return await to_aiohttp_response(await self.flow.handle_callback(bolt_request))
