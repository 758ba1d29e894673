"""The bare botbuilder `CloudAdapter` echo bot, stock: `adapter.process(request, bot)`, no auth (empty app id)."""

from __future__ import annotations

import sys
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

CONFIG = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
ADAPTER = CloudAdapter(ConfigurationBotFrameworkAuthentication(CONFIG))


class Echo(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"echo: {turn_context.activity.text}")


BOT = Echo()


async def messages(request: web.Request) -> web.StreamResponse:
    return await ADAPTER.process(request, BOT)


if __name__ == "__main__":
    app = web.Application()
    app.router.add_post("/api/messages", messages)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
