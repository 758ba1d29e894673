"""One Teams turn: the activity through the conversation core, and the core's reply back to Teams.

Replies go into the conversation the activity came from (in a channel, its reply chain). A card action's
refreshed card replaces the pressed card: for `Action.Execute` it is the invoke response, for `Action.Submit`
the pressed message is updated in place.

A reply the Bot Connector refuses (429, 5xx, unreachable) or does not take within `bot.seam.REPLY_BUDGET`
seconds is handed, with the messages not sent yet, to the `ReplyQueue` (the outbox sends it later) and the turn
ends normally: the core has committed the change, so the inbound request is answered 200 and Teams does not
redeliver an activity whose reply would otherwise be lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse

from adapters.teams.port import CONNECTOR_FAILURES, delivery_error
from adapters.teams.roster import Roster
from adapters.teams.translate import (
    CARD_CONTENT_TYPE,
    inbound_event,
    is_card_action_invoke,
    message_activity,
    render_card,
)
from bot.seam import REPLY_BUDGET, Core, EventKind, InboundEvent, OutboundMessage, Reply, ReplyQueue

log = logging.getLogger(__name__)

MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"


def card_action_response(reply: Reply) -> InvokeResponse:
    """The answer to an `adaptiveCard/action` invoke: the refreshed card, or else a short message that Teams
    shows on the card. The body is the response model itself: the route serialises it once."""
    refreshed = reply.refreshed
    if refreshed is not None and refreshed.card is not None:
        card = render_card(refreshed.card)
        body: Any = AdaptiveCardInvokeResponse(status_code=200, type=CARD_CONTENT_TYPE, value=card)
    else:
        text = refreshed.text if refreshed is not None else next((m.text for m in reply.messages), "Done.")
        # The model types `value` as an object, so a text answer is written as plain JSON.
        body = {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": text}
    return InvokeResponse(status=200, body=body)


def _left(deadline: float) -> float:
    """Seconds until the reply budget's deadline (0 once it has passed)."""
    return max(0.0, deadline - asyncio.get_running_loop().time())


class TeamsBot:
    """The bot logic botbuilder runs for each activity (`on_turn`)."""

    def __init__(self, core: Core, roster: Roster, replies: ReplyQueue) -> None:
        self.core = core
        self.roster = roster
        self.replies = replies

    async def on_turn(self, context: TurnContext, activity: Mapping[str, Any]) -> None:
        """Handle the activity (its JSON as received) in the turn botbuilder set up for it."""
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
        if reply.messages:
            await self._send(context, event, reply.messages, deadline)
        if is_card_action_invoke(activity):
            await self._answer_invoke(context, card_action_response(reply))
        elif reply.refreshed is not None:
            await self._replace_pressed(context, event, reply.refreshed, deadline)

    async def _send(
        self, context: TurnContext, event: InboundEvent, messages: Sequence[OutboundMessage], deadline: float
    ) -> None:
        """Send the messages in order; from the first one the connector does not take, defer the rest."""
        for index, message in enumerate(messages):
            try:
                await asyncio.wait_for(context.send_activity(message_activity(message)), _left(deadline))
            except CONNECTOR_FAILURES as exc:
                error = delivery_error(exc)
                log.warning("the Bot Connector did not take a reply (%s); it goes to the outbox", error)
                await self.replies.defer(event.conversation, messages[index:], key=event.idempotency_key, error=error)
                return

    async def _replace_pressed(
        self, context: TurnContext, event: InboundEvent, refreshed: OutboundMessage, deadline: float
    ) -> None:
        if event.source_message is None:
            await self._send(context, event, (refreshed,), deadline)
            return
        activity = message_activity(refreshed)
        activity.id = event.source_message.message_id
        try:
            await asyncio.wait_for(context.update_activity(activity), _left(deadline))
        except CONNECTOR_FAILURES as exc:
            # The pressed card stays as it was; the fresh state is posted later instead of being lost.
            error = delivery_error(exc)
            log.warning("the Bot Connector did not replace a card (%s); it goes to the outbox", error)
            await self.replies.defer(event.conversation, (refreshed,), key=event.idempotency_key, error=error)

    @staticmethod
    async def _answer_invoke(context: TurnContext, response: InvokeResponse) -> None:
        await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))
