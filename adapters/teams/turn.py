"""One Teams turn: the activity through the conversation core, and the core's reply back to Teams.

Replies go into the conversation the activity came from (in a channel, its reply chain). A card action's
refreshed card replaces the pressed card: for `Action.Execute` it is the invoke response to the presser and,
in a group chat or channel, the shared card is also updated for everyone (`update_activity`), carrying a
`refresh` so that each member's Teams fetches the actions that member may use; for `Action.Submit` the pressed
message is updated in place. A refused press (the core answers with a text and the card as it is) is answered
to the presser only, in the invoke response: nothing is posted in the thread. The `composeExtension/*` invokes
go to the message extension.

A reply the Bot Connector refuses (429, 5xx, unreachable) or does not take within `bot.seam.REPLY_BUDGET`
seconds is handed, with the messages not sent yet, to the `ReplyQueue` (the outbox sends it later) and the turn
ends normally: the core has committed the change, so the inbound request is answered 200 and Teams does not
redeliver an activity whose reply would otherwise be lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse

from adapters.teams import outgoing
from adapters.teams.connector import CONNECTOR_FAILURES
from adapters.teams.extension import MessageExtension, is_extension_invoke
from adapters.teams.port import delivery_error
from adapters.teams.roster import Roster
from adapters.teams.translate import (
    CARD_CONTENT_TYPE,
    inbound_event,
    is_card_action_invoke,
    message_activity,
    render_card,
)
from bot.seam import REPLY_BUDGET, Core, EventKind, InboundEvent, OutboundMessage, Reply, ReplyQueue
from cards.model import Card, Text

log = logging.getLogger(__name__)

MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"
AUTOMATIC = "automatic"


def _card_answer(card: dict[str, Any]) -> InvokeResponse:
    body = AdaptiveCardInvokeResponse(status_code=200, type=CARD_CONTENT_TYPE, value=card)
    return InvokeResponse(status=200, body=body)


def _text_answer(text: str) -> InvokeResponse:
    # The model types `value` as an object, so a text answer is written as plain JSON.
    return InvokeResponse(status=200, body={"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": text})


def card_action_response(reply: Reply) -> InvokeResponse:
    """The answer to an `adaptiveCard/action` invoke: the refreshed card, or else a short message that Teams
    shows on the card. The body is the response model itself: the route serialises it once."""
    refreshed = reply.refreshed
    if refreshed is not None and refreshed.card is not None:
        return _card_answer(render_card(refreshed.card))
    return _text_answer(refreshed.text if refreshed is not None else next((m.text for m in reply.messages), "Done."))


def refusal_of(reply: Reply) -> Card | None:
    """For a refused press (texts plus the card as it is), that card with the refusal on top; else None."""
    refreshed = reply.refreshed
    if refreshed is None or refreshed.card is None or not reply.messages:
        return None
    if any(m.card is not None for m in reply.messages):
        return None
    said = tuple(Text(m.text, "warning") for m in reply.messages)
    return replace(refreshed.card, body=(*said, *refreshed.card.body))


def _trigger(activity: Mapping[str, Any]) -> str:
    value = activity.get("value")
    return str(value.get("trigger") or "") if isinstance(value, Mapping) else ""


class TeamsBot:
    """The bot logic botbuilder runs for each activity (`on_turn`)."""

    def __init__(self, core: Core, roster: Roster, extension: MessageExtension, replies: ReplyQueue) -> None:
        self.core = core
        self.roster = roster
        self.extension = extension
        self.replies = replies

    async def on_turn(self, context: TurnContext, activity: Mapping[str, Any]) -> None:
        """Handle the activity (its JSON as received) in the turn botbuilder set up for it."""
        if is_extension_invoke(activity):
            await self._answer_invoke(context, await self.extension.answer(context, activity))
            return
        event = inbound_event(activity)
        if event is None:
            if activity.get("type") == ActivityTypes.invoke:
                error = {"error": f"This bot does not handle the invoke {str(activity.get('name'))[:100]!r}."}
                await self._answer_invoke(context, InvokeResponse(status=400, body=error))
            return
        if event.kind not in (EventKind.INSTALLED, EventKind.UNINSTALLED):
            event = await self.roster.enrich(context, activity, event)
        reply = await self.core.handle(event)
        deadline = asyncio.get_running_loop().time() + REPLY_BUDGET
        if is_card_action_invoke(activity):
            await self._executed(context, activity, event, reply, deadline)
            return
        if reply.messages:
            await self._send(context, event, reply.messages, deadline)
        if reply.refreshed is not None:
            await self._replace_pressed(context, event, reply.refreshed, deadline)

    async def _send(
        self, context: TurnContext, event: InboundEvent, messages: Sequence[OutboundMessage], deadline: float
    ) -> None:
        """Send the messages in order; from the first one the connector does not take, defer the rest."""
        for index, message in enumerate(messages):
            try:
                async with asyncio.timeout_at(deadline):
                    await outgoing.send(context, message_activity(message))
            except CONNECTOR_FAILURES as exc:
                error = delivery_error(exc)
                log.warning("the Bot Connector did not take a reply (%s); it goes to the outbox", error)
                await self.replies.defer(event.conversation, messages[index:], key=event.idempotency_key, error=error)
                return

    async def _executed(
        self, context: TurnContext, activity: Mapping[str, Any], event: InboundEvent, reply: Reply, deadline: float
    ) -> None:
        """Answer an `Action.Execute`: a refusal to the presser only; a change to the presser and, in a group
        chat or channel, on the shared card for everyone; a card's automatic refresh with the card alone."""
        refused = refusal_of(reply)
        if refused is not None:
            await self._answer_invoke(context, _card_answer(render_card(refused)))
            return
        shown = next((m.card for m in reply.messages if m.card is not None), None)
        if reply.refreshed is None and (shown is None or _trigger(activity) == AUTOMATIC):
            # A refusal or an error in words, or the card a viewer's Teams asked for: to the presser only.
            answer = _card_answer(render_card(shown)) if shown is not None else card_action_response(reply)
            await self._answer_invoke(context, answer)
            return
        if reply.messages:
            await self._send(context, event, reply.messages, deadline)
        refreshed, pressed = reply.refreshed, event.source_message
        if refreshed is None or refreshed.card is None or pressed is None or event.conversation.scope == "personal":
            await self._answer_invoke(context, card_action_response(reply))
            return
        user_ids = await self.roster.user_ids(context, activity)
        await self._answer_invoke(context, _card_answer(render_card(refreshed.card, refresh=True, user_ids=user_ids)))
        update = message_activity(refreshed, refresh=True, user_ids=user_ids)
        update.id = pressed.message_id
        try:
            await outgoing.update(context, update)
        except CONNECTOR_FAILURES as exc:
            # The change is made and the presser has the new card; the others see it on their next refresh.
            log.warning("the shared Teams card was not updated: %s", type(exc).__name__)

    async def _replace_pressed(
        self, context: TurnContext, event: InboundEvent, refreshed: OutboundMessage, deadline: float
    ) -> None:
        if event.source_message is None:
            await self._send(context, event, (refreshed,), deadline)
            return
        activity = message_activity(refreshed)
        activity.id = event.source_message.message_id
        try:
            async with asyncio.timeout_at(deadline):
                await outgoing.update(context, activity)
        except CONNECTOR_FAILURES as exc:
            # The pressed card stays as it was; the fresh state is posted later instead of being lost.
            error = delivery_error(exc)
            log.warning("the Bot Connector did not replace a card (%s); it goes to the outbox", error)
            await self.replies.defer(event.conversation, (refreshed,), key=event.idempotency_key, error=error)

    @staticmethod
    async def _answer_invoke(context: TurnContext, response: InvokeResponse) -> None:
        await outgoing.send(context, Activity(type=ActivityTypes.invoke_response, value=response))
