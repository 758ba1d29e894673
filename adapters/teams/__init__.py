"""Microsoft Teams: the Bot Framework endpoint (messages, card actions, the message extension), the
outgoing-webhook endpoint, the privacy and terms pages the app package links to, and the Teams `ChatPort`.

`install` is the `ticketbot.adapters` entry point. Teams is always on: authenticated when `MicrosoftAppId` is
set, otherwise open to loopback callers only (local use with the Bot Framework Emulator). The outgoing webhook
is on when `TEAMS_WEBHOOK_SECRET` holds a base64 security token. botbuilder is imported only in this package.
"""

from __future__ import annotations

import logging

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter

from adapters.teams import legal, routes, webhook
from adapters.teams.auth import TeamsAuthentication
from adapters.teams.extension import MessageExtension
from adapters.teams.port import TeamsPort
from adapters.teams.roster import Roster
from adapters.teams.turn import TeamsBot
from bot.seam import AdapterContext, Mounted

log = logging.getLogger(__name__)


def install(app: web.Application, context: AdapterContext) -> Mounted:
    """Mount the Teams routes on `app` and report them with the Teams port."""
    settings = context.settings
    auth = TeamsAuthentication(settings, context.http)
    adapter = CloudAdapter(auth)
    app_id = settings.microsoft_app_id
    port = TeamsPort(adapter, context.directory, app_id=app_id, tenant_id=settings.microsoft_app_tenant_id)
    roster = Roster()
    bot = TeamsBot(context.core, roster, MessageExtension(context.core, roster, port), context.replies)
    endpoint = routes.MessagesEndpoint(
        adapter, auth, bot, app_id=app_id, service_url_hosts=settings.teams_service_url_host_list
    )
    app.router.add_post(routes.PATH, endpoint.handle)
    mounted = [f"POST {routes.PATH}", *legal.mount(app, settings)]
    if app_id:
        description = "on (Bot Framework auth)"
    else:
        description = "on (local, loopback only, unauthenticated)"
        log.warning(
            "Teams runs unauthenticated: MicrosoftAppId is empty, so %s accepts loopback callers only", routes.PATH
        )
    secret = settings.teams_webhook_secret.get_secret_value()
    key = webhook.webhook_key(secret)
    if key is not None:
        app.router.add_post(webhook.PATH, webhook.OutgoingWebhook(context.core, key).handle)
        mounted.append(f"POST {webhook.PATH} (outgoing webhook)")
    elif secret:
        log.error("TEAMS_WEBHOOK_SECRET is not a base64 security token; the Teams outgoing webhook is off")
    return Mounted(platform="teams", description=description, routes=tuple(mounted), ports=(port,))
