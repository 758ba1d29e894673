"""The web chat: our own page at `GET /chat`, a WebSocket at `/chat/ws`, and the web `ChatPort` (platform `web`).

`install` is the `ticketbot.adapters` entry point. The chat is always on, for loopback callers only; with
`TICKETBOT_WEB_CHAT=on` it is open to the network for holders of an access token (`ticketbot web token
create`). Cards are rendered to HTML on the server (`cards.html`); the page (`static/`) is plain HTML, CSS and
a small script of ours, with no framework, no build step and nothing fetched from elsewhere.
"""

from __future__ import annotations

import logging

from aiohttp import web

from adapters.web.access import Access
from adapters.web.hub import Hub
from adapters.web.port import WebPort
from adapters.web.routes import PAGE, ChatRoutes
from bot.seam import AdapterContext, Mounted

log = logging.getLogger(__name__)


def install(app: web.Application, context: AdapterContext) -> Mounted | None:
    """Mount the web chat on `app` and report it with the web port (None without a transcript or token check)."""
    if context.transcript is None or context.web_tokens is None:
        log.warning("the web chat is off: the composition root gave it no transcript or token check")
        return None
    open_to_network = context.settings.web_chat == "on"
    hub = Hub()
    port = WebPort(context.transcript, hub)
    access = Access(open_to_network=open_to_network, check=context.web_tokens)
    routes = ChatRoutes(context.core, context.transcript, hub, port, access, context.settings.bot_name).mount(app)

    async def close_sockets(_app: web.Application) -> None:
        await hub.close_all()

    app.on_shutdown.append(close_sockets)
    if open_to_network:
        description = f"on at {PAGE} (open to the network: access token required)"
    else:
        description = f"on at {PAGE} (loopback only; TICKETBOT_WEB_CHAT=on opens it with a token)"
    return Mounted(platform="web", description=description, routes=routes, ports=(port,))
