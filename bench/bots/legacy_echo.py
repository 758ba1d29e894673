"""The bare legacy botbuilder `BotFrameworkAdapter` echo bot, stock `process_activity`, no auth (empty app id)."""

from __future__ import annotations

import sys

from aiohttp import web
from botbuilder.core import ActivityHandler, BotFrameworkAdapter, BotFrameworkAdapterSettings, TurnContext
from botbuilder.schema import Activity

ADAPTER = BotFrameworkAdapter(BotFrameworkAdapterSettings("", ""))


class Echo(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"echo: {turn_context.activity.text}")


BOT = Echo()


async def messages(request: web.Request) -> web.StreamResponse:
    activity = Activity().deserialize(await request.json())
    response = await ADAPTER.process_activity(activity, request.headers.get("Authorization", ""), BOT.on_turn)
    if response is not None:
        return web.json_response(data=response.body, status=response.status)
    return web.Response(status=201)


if __name__ == "__main__":
    app = web.Application()
    app.router.add_post("/api/messages", messages)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
