"""The bare slack-bolt `AsyncApp` echo bot, stock: bolt checks the request signature (SLACK_SIGNING_SECRET),
acks, and answers a message with `say` (`chat.postMessage`) at SLACK_API_URL with SLACK_BOT_TOKEN."""

from __future__ import annotations

import os
import sys
from typing import Any

from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.say.async_say import AsyncSay
from slack_sdk.web.async_client import AsyncWebClient

APP = AsyncApp(
    client=AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
)


@APP.event("message")
async def echo(event: dict[str, Any], say: AsyncSay) -> None:
    await say(f"echo: {event.get('text')}")


if __name__ == "__main__":
    web.run_app(APP.web_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
