"""One Teams turn: the activity through the conversation core, and the core's reply back to Teams.

Replies go into the conversation the activity came from (in a channel, its reply chain). A card action's
refreshed card replaces the pressed card: for `Action.Execute` it is the invoke response, for `Action.Submit`
the pressed message is updated in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse

from adapters.teams.roster import Roster
from adapters.teams.translate import (
    CARD_CONTENT_TYPE,
    inbound_event,
    is_card_action_invoke,
    message_activity,
    render_card,
)
from bot.seam import Core, EventKind, InboundEvent, OutboundMessage, Reply

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


class TeamsBot:
    """The bot logic botbuilder runs for each activity (`on_turn`)."""

    def __init__(self, core: Core, roster: Roster) -> None:
        self.core = core
        self.roster = roster

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
        if reply.messages:
            await context.send_activities([message_activity(m) for m in reply.messages])
        if is_card_action_invoke(activity):
            await self._answer_invoke(context, card_action_response(reply))
        elif reply.refreshed is not None:
            await self._replace_pressed(context, event, reply.refreshed)

    @staticmethod
    async def _replace_pressed(context: TurnContext, event: InboundEvent, refreshed: OutboundMessage) -> None:
        activity = message_activity(refreshed)
        if event.source_message is None:
            await context.send_activity(activity)
            return
        activity.id = event.source_message.message_id
        await context.update_activity(activity)

    @staticmethod
    async def _answer_invoke(context: TurnContext, response: InvokeResponse) -> None:
        await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))
