"""`POST /webex/events`: the target of the bot's four webhooks (messages, card submissions, memberships added and
removed).

Each request is checked before anything else: `X-Spark-Signature` must be the lowercase hex HMAC-SHA1 of the
raw body keyed with `WEBEX_WEBHOOK_SECRET` (constant-time compare); otherwise 401 and nothing is fetched or
stored. Without a secret nothing can be checked, so every request is refused. A webhook carries ids only, so
the route then fetches what it names, turns it into an event for the core, and posts the reply. Ignored, with
200: the bot's own messages, group messages that do not mention the bot, memberships of other people.

Replies are posted at once; one Webex refuses (429, 5xx, unreachable) or that does not go out within
`REPLY_BUDGET` seconds is handed with the rest to the outbox (`ReplyQueue.defer`), and Webex still gets its
200: the change is committed and a redelivery would change nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from adapters.webex.client import WebexClient
from adapters.webex.markup import PLATFORM, mentioned_people
from adapters.webex.port import WebexPort
from adapters.webex.translate import BadWebhook, card_action_event, membership_event, message_event, webhook_data
from bot.seam import REPLY_BUDGET, Actor, Core, DeliveryError, InboundEvent, OutboundMessage, ReplyQueue
from bot.web import header, hmac_hex, json_error, parse_json, read_body, same

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Spark-Signature"
GONE = frozenset({404, 410})  # the message or submission was deleted: nothing left to answer


class WebexEndpoint:
    """The aiohttp handler of `POST /webex/events`."""

    def __init__(self, client: WebexClient, core: Core, port: WebexPort, replies: ReplyQueue, *, secret: str) -> None:
        self.client = client
        self.core = core
        self.port = port
        self.replies = replies
        self.secret = secret.encode("utf-8")

    def _signed(self, raw: bytes, signature: str) -> bool:
        return bool(signature) and same(hmac_hex(self.secret, raw, "sha1"), signature)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.secret:
            return json_error(401, "WEBEX_WEBHOOK_SECRET is not set, so no webhook can be verified; all are refused.")
        raw = await read_body(request)
        if not self._signed(raw, header(request, SIGNATURE_HEADER)):
            return json_error(401, f"The {SIGNATURE_HEADER} header is missing or does not match the body.")
        try:
            kind, data = webhook_data(parse_json(raw))
        except BadWebhook as exc:
            return json_error(400, str(exc))
        try:
            event = await self._event(kind, data)
        except DeliveryError as exc:
            log.warning("could not fetch what a Webex %s webhook names: %s", kind, exc)
            if exc.status in GONE:
                return web.json_response({"status": "ignored", "reason": "Webex no longer has the resource."})
            return json_error(502, "Webex did not give the resource this webhook names; try again.")
        if event is None:
            return web.json_response({"status": "ignored"})
        reply = await self.core.handle(event)
        outgoing = [*(() if reply.refreshed is None else (reply.refreshed,)), *reply.messages]
        await self._deliver(event, outgoing)
        return web.json_response({"status": "ok"})

    async def _event(self, kind: str, data: Mapping[str, Any]) -> InboundEvent | None:
        me = await self.client.me()
        bot_id = str(me.get("id") or "")
        key = str(data["id"])
        if kind == "messages:created":
            if data.get("personId") == bot_id:
                return None
            message = await self.client.message(key)
            if message.get("personId") == bot_id:
                return None
            if message.get("roomType") != "direct" and bot_id not in mentioned_people(message):
                return None
            actor = await self._actor(str(message.get("personId")), message.get("personEmail"))
            return message_event(message, actor, key=key, bot=me)
        if kind == "attachmentActions:created":
            action = await self.client.attachment_action(key)
            card_message = await self.client.message(str(action.get("messageId")))
            actor = await self._actor(str(action.get("personId")), None)
            return card_action_event(action, card_message, actor, key=key)
        if data.get("personId") != bot_id:
            return None
        actor = Actor(PLATFORM, str(data.get("actorId") or data.get("personId")))
        return membership_event(kind, data, actor, key=key)

    async def _actor(self, person_id: str, email: Any) -> Actor:
        """The sender with their display name and email (from `GET /people/{id}`; without them when Webex does
        not answer that, which does not stop the message)."""
        try:
            person = await self.client.person(person_id)
        except DeliveryError as exc:
            log.info("could not look up a Webex person: %s", exc)
            person = {}
        emails = person.get("emails")
        first_email = emails[0] if isinstance(emails, list) and emails and isinstance(emails[0], str) else None
        name = person.get("displayName")
        known_email = email if isinstance(email, str) else first_email
        return Actor(PLATFORM, person_id, name if isinstance(name, str) else "", known_email)

    async def _deliver(self, event: InboundEvent, outgoing: list[OutboundMessage]) -> None:
        sent = 0
        error: DeliveryError | None = None
        try:
            async with asyncio.timeout(REPLY_BUDGET):
                for message in outgoing:
                    await self.port.send(event.conversation, message)
                    sent += 1
        except DeliveryError as exc:
            error = exc
        except TimeoutError:
            log.info("a Webex reply took longer than %s s; the rest goes to the outbox", REPLY_BUDGET)
        if sent < len(outgoing):
            await self.replies.defer(event.conversation, outgoing[sent:], key=event.idempotency_key, error=error)
