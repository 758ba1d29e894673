"""Sending and replacing an activity in a turn: the turn's conversation filled in, then the adapter's own call.

`TurnContext.send_activity` and `update_activity` pass each activity through the context's send and update
handlers, chained by a nested function that refers to itself (`TurnContext._emit`). Every call left that
function behind as a reference cycle holding the turn context, the activity it answered and the reply: about
50 objects a turn that only the garbage collector could free. Under the 64-conversation create load its full
collections freed 11,000-18,000 such objects at a time, pausing every turn in flight for 10-50 ms about once a
second (2-core machine). This bot registers no such handlers, so these functions do what the context does
with none: fill the activity in from the turn's conversation reference (`apply_conversation_reference`, as
the context does) and hand it to the adapter, whose calls (the Bot Connector, an invoke response kept for
the turn's answer) are the same. The context's deep copy of each activity is left out too: every activity
sent here is built for that one send.
"""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, InputHints, ResourceResponse


def _addressed(context: TurnContext, activity: Activity) -> Activity:
    return TurnContext.apply_conversation_reference(activity, TurnContext.get_conversation_reference(context.activity))


async def send(context: TurnContext, activity: Activity) -> ResourceResponse | None:
    """Send `activity` in the turn's conversation, as `context.send_activity` does; the connector's answer."""
    activity = _addressed(context, activity)
    activity.id = None
    if not activity.input_hint:
        activity.input_hint = InputHints.accepting_input
    responses = await context.adapter.send_activities(context, [activity])
    if activity.type != ActivityTypes.trace:
        context.responded = True
    return responses[0] if responses else None


async def update(context: TurnContext, activity: Activity) -> None:
    """Replace the activity whose id `activity` carries, as `context.update_activity` does."""
    await context.adapter.update_activity(context, _addressed(context, activity))
