"""The bolt listeners: every Slack event, command, shortcut and interaction, turned into core events.

Each listener acks first (Slack's 3-second limit; bolt answers the HTTP request or the socket envelope at the
ack) and works after it. Forms open at once with `views.open` (a trigger id expires after 3 s). Replies go
through the Slack port; one that Slack refuses or does not take within `REPLY_BUDGET` is handed to the reply
queue. A redelivered event (`X-Slack-Retry-Num`, the same `event_id`) reaches the core with the same
idempotency key, and the core answers it once.

Turning a message into a ticket (the "Create ticket" shortcut, a 🎫 `:ticket:` reaction) sends the core
`new <message text>` plus a permalink line, as the message's author, in the message's thread: the draft's
requester is the author.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.declared import COMMAND, SHORTCUT_CALLBACK
from adapters.slack.port import SlackPort, delivered
from adapters.slack.render import (
    MODAL_CALLBACK,
    CardMemory,
    fallback_prompt,
    find_prompt,
    form_modal,
    home_view,
    input_values,
    prompt_modal,
    read_metadata,
)
from adapters.slack.translate import (
    PLATFORM,
    card_action,
    conversation_ref,
    is_from_a_bot,
    mentions_user,
    message_event,
    pressed_value,
    team_of,
    user_key,
    view_values,
)
from bot.seam import (
    REPLY_BUDGET,
    Actor,
    ConversationRef,
    Core,
    DeliveryError,
    EventKind,
    InboundEvent,
    MessageRef,
    OutboundMessage,
    Reply,
    ReplyQueue,
)
from cards import verbs
from cards.blockkit import FORM_OPEN
from cards.model import Card

log = logging.getLogger(__name__)

TICKET_REACTION = "ticket"
ANY_ACTION = re.compile(".+")  # every button and select: the verb is in the value our renderer wrote
KNOWN_PEOPLE = 2000  # users.info answers kept per process (names and emails change rarely)
FORM_GONE = "This form is no longer open (the bot restarted since). Send your request again to get a new one."


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class People:
    """Names and emails of Slack users from `users.info` (email needs `users:read.email`), cached."""

    def __init__(self, size: int = KNOWN_PEOPLE) -> None:
        self._size = size
        self._known: OrderedDict[str, Actor] = OrderedDict()

    async def actor(self, client: AsyncWebClient, team_id: str | None, user_id: str) -> Actor:
        key = user_key(team_id, user_id)
        known = self._known.get(key)
        if known is not None:
            return known
        try:
            answer = await client.users_info(user=user_id)
        except (SlackApiError, OSError, TimeoutError) as exc:
            log.info("users.info failed for a Slack user: %s", type(exc).__name__)
            return Actor(PLATFORM, key, user_id)
        user = _obj(answer.get("user"))
        profile = _obj(user.get("profile"))
        name = str(profile.get("real_name") or user.get("real_name") or user.get("name") or "")
        email = profile.get("email") if isinstance(profile.get("email"), str) else None
        actor = Actor(PLATFORM, key, name, email or None)
        self._known[key] = actor
        while len(self._known) > self._size:
            self._known.popitem(last=False)
        return actor


class Listeners:
    """The work behind each listener: events to the core, replies back to Slack."""

    def __init__(self, core: Core, port: SlackPort, replies: ReplyQueue, cards: CardMemory) -> None:
        self.core = core
        self.port = port
        self.replies = replies
        self.cards = cards
        self.people = People()

    def register(self, app: AsyncApp) -> None:
        app.event("app_mention")(self.app_mention)
        app.event("message")(self.message)
        app.event("reaction_added")(self.reaction_added)
        app.event("app_home_opened")(self.app_home_opened)
        app.command(COMMAND)(self.command)
        app.shortcut(SHORTCUT_CALLBACK)(self.shortcut)
        app.action(ANY_ACTION)(self.block_action)
        app.view(MODAL_CALLBACK)(self.view_submission)

    # Events API -------------------------------------------------------------------------------------------

    async def app_mention(self, ack: Any, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient,
                          context: AsyncBoltContext) -> None:
        await ack()
        if is_from_a_bot(event) or event.get("user") in (None, context.bot_user_id):
            return
        team = team_of(body)
        actor = await self.people.actor(client, team, str(event.get("user")))
        thread = event.get("thread_ts") or event.get("ts")
        inbound = message_event(team, event, key=str(body.get("event_id")), bot_user_id=context.bot_user_id,
                                thread=thread, actor=actor)
        await self.run(inbound, inbound.conversation)

    async def message(self, ack: Any, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient,
                      context: AsyncBoltContext) -> None:
        """A DM to the bot, or a reply in a channel thread (the core makes thread replies under a ticket
        notes). A channel message that mentions the bot arrives as `app_mention` too and is answered there."""
        await ack()
        if is_from_a_bot(event) or event.get("user") in (None, context.bot_user_id):
            return
        thread = event.get("thread_ts")
        if event.get("channel_type") != "im":
            in_thread = thread and thread != event.get("ts")
            if not in_thread or mentions_user(event, context.bot_user_id):
                return
        team = team_of(body)
        actor = await self.people.actor(client, team, str(event["user"]))
        inbound = message_event(team, event, key=str(body.get("event_id")), bot_user_id=context.bot_user_id,
                                thread=thread, actor=actor)
        await self.run(inbound, inbound.conversation)

    async def reaction_added(self, ack: Any, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient,
                             context: AsyncBoltContext) -> None:
        await ack()
        item = _obj(event.get("item"))
        if event.get("reaction") != TICKET_REACTION or item.get("type") != "message":
            return
        channel, ts = str(item.get("channel")), str(item.get("ts"))
        try:
            answer = await client.conversations_replies(channel=channel, ts=ts, limit=1, inclusive=True)
        except SlackApiError as exc:
            log.info("could not read the message a 🎫 was added to: %s", exc.response.get("error"))
            return
        found = [m for m in answer.get("messages") or () if _obj(m).get("ts") == ts]
        if found:
            await self.ticket_from(body, client, context, channel, found[0], key=str(body.get("event_id")))

    async def app_home_opened(self, ack: Any, body: dict[str, Any], event: dict[str, Any],
                              client: AsyncWebClient) -> None:
        await ack()
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        await self.publish_home(client, team_of(body), str(event["user"]), str(event.get("channel") or ""),
                                key=str(body.get("event_id")))

    # Commands, shortcuts and interactions -----------------------------------------------------------------

    async def command(self, ack: Any, body: dict[str, Any], client: AsyncWebClient,
                      context: AsyncBoltContext) -> None:
        """`/ticket <text>`: the text as a message, in the channel the command was typed in."""
        await ack()
        team = team_of(body)
        actor = await self.people.actor(client, team, str(body.get("user_id")))
        event = {"channel": body.get("channel_id"), "user": body.get("user_id"), "text": body.get("text") or "help"}
        inbound = message_event(team, event, key=f"command:{body.get('trigger_id')}",
                                bot_user_id=context.bot_user_id, thread=None, actor=actor)
        await self.run(inbound, inbound.conversation)

    async def shortcut(self, ack: Any, body: dict[str, Any], client: AsyncWebClient,
                       context: AsyncBoltContext) -> None:
        """The "Create ticket" message shortcut."""
        await ack()
        channel = str(_obj(body.get("channel")).get("id") or "")
        message = _obj(body.get("message"))
        if channel and message.get("ts"):
            await self.ticket_from(body, client, context, channel, message, key=f"shortcut:{body.get('trigger_id')}")

    async def block_action(self, ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        actions = body.get("actions") or []
        if not actions:
            return
        pressed = _obj(actions[0])
        value = dict(pressed_value(pressed))
        team = team_of(body)
        user_id = str(_obj(body.get("user")).get("id"))
        container = _obj(body.get("container"))
        source: MessageRef | None = None
        if container.get("type") == "message":
            channel = str(container.get("channel_id") or _obj(body.get("channel")).get("id"))
            ts = str(container.get("message_ts"))
            scope_ref = conversation_ref(team, channel)
            thread = container.get("thread_ts") or _obj(body.get("message")).get("thread_ts")
            if thread is None and scope_ref.scope != "personal":
                thread = ts
            source = MessageRef(scope_ref.in_thread(thread), ts)
        card = self.cards.get(source.conversation.conversation_id, source.message_id) if source else None
        trigger = str(body.get("trigger_id") or "")
        if value.get("action") == FORM_OPEN and card is None and value.get("draft"):
            card = await self.stored_form(client, team, user_id, value, source, key=f"form:{trigger}")
            if card is None:
                return
        if value.get("action") == FORM_OPEN or "prompt" in value:
            await self.open_form(client, trigger, value, card, source, pressed)
            return
        if card is not None:
            value = {**input_values(card), **value}
        actor = await self.people.actor(client, team, user_id)
        to = source.conversation if source else await self.port.open_direct(actor)
        inbound = card_action(to, actor, f"action:{trigger or pressed.get('action_ts')}", value, source)
        await self.run(inbound, to)
        if source is None and container.get("type") == "view":
            await self.publish_home(client, team, user_id, to.conversation_id, key=f"home:{inbound.idempotency_key}")

    async def view_submission(self, ack: Any, body: dict[str, Any], view: dict[str, Any],
                              client: AsyncWebClient) -> None:
        await ack()
        verb, data, source = read_metadata(str(view.get("private_metadata") or ""))
        if verb is None:
            return
        team = team_of(body)
        actor = await self.people.actor(client, team, str(_obj(body.get("user")).get("id")))
        to = source.conversation if source else await self.port.open_direct(actor)
        key = f"view:{view.get('id')}:{view.get('hash')}"
        inbound = card_action(to, actor, key, {"action": verb, **data, **view_values(view)}, source)
        await self.run(inbound, to)

    # The work -------------------------------------------------------------------------------------------

    async def open_form(self, client: AsyncWebClient, trigger: str, value: Mapping[str, Any], card: Any,
                        source: MessageRef | None, pressed: Mapping[str, Any]) -> None:
        """Open the modal for "Open form" or a text prompt's button, at once (the trigger id lives 3 s)."""
        if value.get("action") == FORM_OPEN:
            modal = form_modal(card, source) if card is not None else None
        else:
            verb = str(value.get("action") or "")
            input_id = str(value.get("prompt"))
            data = {k: v for k, v in value.items() if k not in ("action", "prompt")}
            prompt = find_prompt(card, verb, input_id) if card is not None else None
            title = str(_obj(pressed.get("text")).get("text") or "Answer")
            modal = prompt_modal(prompt or fallback_prompt(title, input_id, verb, data), source)
        if modal is None:
            if source is not None:
                await self.reply(source.conversation, (OutboundMessage(FORM_GONE),), key=f"form:{trigger}")
            return
        try:
            await delivered(client.views_open(trigger_id=trigger, view=modal))
        except DeliveryError as exc:
            log.warning("views.open failed: %s", exc)

    async def stored_form(self, client: AsyncWebClient, team: str | None, user_id: str, value: Mapping[str, Any],
                          source: MessageRef | None, *, key: str) -> Card | None:
        """The draft's form as the core rebuilds it from the stored draft (this process did not send the card,
        say it restarted since); None when the draft is no longer pending — then the core's answer (the ticket
        it became, or "Draft gone") replaces the pressed card."""
        actor = await self.people.actor(client, team, user_id)
        to = source.conversation if source else await self.port.open_direct(actor)
        inbound = card_action(to, actor, key, {**value, "action": verbs.DRAFT_FORM}, source)
        reply = await self.core.handle(inbound)
        form = next((m.card for m in reply.messages if m.card is not None), None)
        if form is None:
            await self.deliver(inbound, reply, to)
        return form

    async def ticket_from(self, body: Mapping[str, Any], client: AsyncWebClient, context: AsyncBoltContext,
                          channel: str, message: Mapping[str, Any], *, key: str) -> None:
        """A draft from someone's message: `new <text>` and a permalink, as its author, in its thread."""
        if is_from_a_bot(message) or not message.get("user"):
            return
        team = team_of(body)
        ts = str(message["ts"])
        try:
            link = await client.chat_getPermalink(channel=channel, message_ts=ts)
            permalink = str(link.get("permalink") or "")
        except SlackApiError:
            permalink = ""
        author = await self.people.actor(client, team, str(message["user"]))
        text = f"new {message.get('text') or ''}" + (f"\n{permalink}" if permalink else "")
        event = {"channel": channel, "user": message["user"]}
        inbound = message_event(team, event, key=key, bot_user_id=context.bot_user_id,
                                thread=str(message.get("thread_ts") or ts), actor=author, text=text)
        await self.run(inbound, inbound.conversation)

    async def publish_home(self, client: AsyncWebClient, team: str | None, user_id: str, channel: str, *,
                           key: str) -> None:
        """The App Home: the core's answers to `my tickets` and to `list` (the open tickets of the desk's
        boards), as Block Kit. `list` is for desk members; anyone else is refused in words, without a card,
        and their Home shows only their own tickets."""
        actor = await self.people.actor(client, team, user_id)
        where = conversation_ref(team, channel or user_id, channel_type="im")
        messages: list[OutboundMessage] = []
        for text, answer_key in (("my tickets", key), ("list", f"{key}:team")):
            reply = await self.core.handle(InboundEvent(EventKind.MESSAGE, where, actor, answer_key, text=text))
            shown = [m for m in reply.messages if m.card is not None]
            messages.extend(shown if text == "list" else reply.messages)
        try:
            await delivered(client.views_publish(user_id=user_id, view=home_view(tuple(messages))))
        except DeliveryError as exc:
            log.warning("views.publish failed: %s", exc)

    async def run(self, event: InboundEvent, to: ConversationRef) -> None:
        """The event through the core, and its reply into `to` (a pressed card updated in place)."""
        reply = await self.core.handle(event)
        await self.deliver(event, reply, to)

    async def deliver(self, event: InboundEvent, reply: Reply, to: ConversationRef) -> None:
        messages = list(reply.messages)
        if reply.refreshed is not None:
            if event.source_message is None:
                messages.insert(0, reply.refreshed)
            else:
                try:
                    async with asyncio.timeout(REPLY_BUDGET):
                        await self.port.update(event.source_message, reply.refreshed)
                except (DeliveryError, TimeoutError) as exc:
                    log.info("chat.update of the pressed card failed; the new card goes to the outbox")
                    messages.insert(0, reply.refreshed)
                    await self._defer(to, messages, event, exc)
                    return
        await self.reply(to, messages, key=event.idempotency_key)

    async def reply(self, to: ConversationRef, messages: Sequence[OutboundMessage], *, key: str) -> None:
        for n, msg in enumerate(messages):
            try:
                async with asyncio.timeout(REPLY_BUDGET):
                    await self.port.send(to, msg)
            except (DeliveryError, TimeoutError) as exc:
                await self.replies.defer(to, messages[n:], key=key, error=_as_delivery_error(exc))
                return

    async def _defer(self, to: ConversationRef, messages: Sequence[OutboundMessage], event: InboundEvent,
                     exc: Exception) -> None:
        await self.replies.defer(to, messages, key=event.idempotency_key, error=_as_delivery_error(exc))


def _as_delivery_error(exc: Exception) -> DeliveryError:
    if isinstance(exc, DeliveryError):
        return exc
    return DeliveryError(f"Slack did not answer within {REPLY_BUDGET:g} s.")
