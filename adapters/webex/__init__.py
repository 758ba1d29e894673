"""Webex: the webhook endpoint `POST /webex/events` and the Webex `ChatPort`, over webexpythonsdk.

`install` is the `ticketbot.adapters` entry point. Webex is on when `WEBEX_ACCESS_TOKEN` holds the bot's token;
the SDK talks to `WEBEX_API_URL`. Webhooks are verified with `WEBEX_WEBHOOK_SECRET`; without it the endpoint is
mounted but refuses every request, and start-up says so. webexpythonsdk is imported only in this package.
"""

from __future__ import annotations

import logging

from aiohttp import web

from adapters.webex.client import WebexClient
from adapters.webex.markup import PLATFORM
from adapters.webex.port import WebexPort
from adapters.webex.routes import WebexEndpoint
from adapters.webex.webhooks import PATH
from bot.seam import AdapterContext, Mounted

log = logging.getLogger(__name__)


def install(app: web.Application, context: AdapterContext) -> Mounted | None:
    """Mount the Webex route on `app` and report it with the Webex port; None when no token is set."""
    settings = context.settings
    token = settings.webex_access_token.get_secret_value()
    if not token:
        return None
    client = WebexClient(token, settings.webex_api_url)

    async def close(_app: web.Application) -> None:
        await client.close()

    app.on_cleanup.append(close)
    port = WebexPort(client, context.directory)
    secret = settings.webex_webhook_secret.get_secret_value()
    app.router.add_post(PATH, WebexEndpoint(client, context.core, port, context.replies, secret=secret).handle)
    if secret:
        description = "on (signed webhooks)"
    else:
        description = "on, refusing every webhook (WEBEX_WEBHOOK_SECRET is empty)"
        log.error(
            "WEBEX_WEBHOOK_SECRET is empty, so %s cannot verify any webhook and refuses them all; "
            "run `ticketbot webex register --url https://HOST` and set the secret it prints",
            PATH,
        )
    return Mounted(platform=PLATFORM, description=description, routes=(f"POST {PATH}",), ports=(port,))
