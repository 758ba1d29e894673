"""Outgoing-webhook mode: `POST /api/teams/webhook`, the lightweight Teams install without a bot registration.

Teams posts each channel message that @mentions the webhook, signed with `Authorization: HMAC <base64 of
HMAC-SHA256 of the raw body>`, keyed with the base64-decoded security token (`TEAMS_WEBHOOK_SECRET`). The
answer is the reply itself, within the same HTTP response. That mode can neither send later nor receive card
actions, so cards are sent without their buttons, and its conversations are kept under the platform
`teams-webhook`, apart from the bot's own (the outbox has no port for them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from dataclasses import replace
from typing import Any

from aiohttp import web
from botbuilder.schema import ActivityTypes

from adapters.teams.translate import CARD_CONTENT_TYPE, BadActivity, check, message_event, render_card
from bot.seam import Core, Reply
from bot.web import header, json_error, parse_json, read_body, same

log = logging.getLogger(__name__)

PATH = "/api/teams/webhook"
PLATFORM = "teams-webhook"


def webhook_key(secret: str) -> bytes | None:
    """The HMAC key from the security token Teams showed (base64), or None when it is empty or not base64."""
    if not secret:
        return None
    try:
        return base64.b64decode(secret, validate=True) or None
    except (binascii.Error, ValueError):
        return None


def signature(key: bytes, body: bytes) -> str:
    """The `Authorization` header Teams sends for this body."""
    return "HMAC " + base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def webhook_reply(reply: Reply) -> dict[str, Any]:
    """The synchronous answer: the texts of plain messages, and every card (without buttons) as an attachment."""
    messages = [*reply.messages, *((reply.refreshed,) if reply.refreshed is not None else ())]
    texts = [m.text for m in messages if m.card is None]
    cards = [render_card(replace(m.card, actions=())) for m in messages if m.card is not None]
    answer: dict[str, Any] = {"type": ActivityTypes.message, "text": "\n\n".join(texts), "textFormat": "plain"}
    if cards:
        answer["attachments"] = [{"contentType": CARD_CONTENT_TYPE, "content": c} for c in cards]
    return answer


class OutgoingWebhook:
    """The aiohttp handler of `POST /api/teams/webhook`."""

    def __init__(self, core: Core, key: bytes) -> None:
        self.core = core
        self._key = key

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request)
        given = header(request, "Authorization")
        if not same(signature(self._key, body), given):
            log.info("refused an outgoing-webhook call: %s signature", "wrong" if given else "no")
            return json_error(401, "The HMAC signature is missing or wrong.")
        try:
            activity = check(parse_json(body), service_url=False)
            if activity.get("type") != ActivityTypes.message:
                raise BadActivity("An outgoing webhook receives message activities only.")
        except BadActivity as exc:
            return json_error(400, str(exc))
        reply = await self.core.handle(message_event(activity, platform=PLATFORM))
        return web.json_response(webhook_reply(reply))
