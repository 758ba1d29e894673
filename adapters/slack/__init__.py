"""Slack: a slack-bolt `AsyncApp` over HTTP (`POST /slack/events`) or Socket Mode, with OAuth installs.

`install` is the `ticketbot.adapters` entry point. Slack is on when it has a bot token (`SLACK_BOT_TOKEN`,
one workspace) or OAuth credentials (`SLACK_CLIENT_ID`, `SLACK_CLIENT_SECRET`, `SLACK_STATE_SECRET`: every
workspace that installs the app), and a way in: the signing secret for HTTP, or the app-level token
`SLACK_APP_TOKEN` for Socket Mode. Every Web API call goes to `SLACK_API_URL` over the process's one aiohttp
session (opened on start-up, inside the event loop). slack_bolt and slack_sdk are imported only in this package.
"""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.declared import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH
from adapters.slack.listeners import Listeners
from adapters.slack.oauth import installation_store, oauth_flow
from adapters.slack.port import SlackPort, Tokens
from adapters.slack.render import CardMemory
from adapters.slack.routes import AUTHORIZE_FAILED, SlackRoutes
from adapters.slack.socket import SocketMode
from bot.seam import AdapterContext, Mounted

log = logging.getLogger(__name__)
# bolt's logger for an event from a workspace the installation store does not hold (see `NotInstalled`).
AUTHORIZATION_LOGGER = "slack_bolt.AsyncMultiTeamsAuthorization"


class NotInstalled(logging.Filter):
    """Logs bolt's "the AuthorizeResult ... was not found" as a WARNING, not an ERROR.

    Slack sends it for a workspace that uninstalled the app or installed it from Slack's app page rather than
    through `/slack/install`; bolt answers it and runs no listener, so nothing failed on our side (an ERROR per
    event would only page the operator)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and "AuthorizeResult" in record.getMessage():
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def install(app: web.Application, context: AdapterContext) -> Mounted | None:
    """Mount the Slack routes (and the socket) on `app`, or None when Slack is not configured."""
    settings = context.settings
    bot_token = settings.slack_bot_token.get_secret_value()
    signing_secret = settings.slack_signing_secret.get_secret_value()
    app_token = settings.slack_app_token.get_secret_value()
    client_id = settings.slack_client_id
    client_secret = settings.slack_client_secret.get_secret_value()
    state_secret = settings.slack_state_secret.get_secret_value()
    oauth = bool(client_id and client_secret and state_secret)
    if (client_id or client_secret) and not oauth:
        log.error("Slack OAuth needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET; OAuth is off")
    if not (bot_token or oauth):
        return None
    if not (signing_secret or app_token):
        log.error("Slack needs SLACK_SIGNING_SECRET (HTTP events) or SLACK_APP_TOKEN (Socket Mode); Slack is off")
        return None

    base_url = settings.slack_api_url

    def client(token: str | None = None) -> AsyncWebClient:
        return AsyncWebClient(token=token, base_url=base_url, session=context.http.get())

    app_client = AsyncWebClient(token=None if oauth else bot_token, base_url=base_url)
    flow_client = AsyncWebClient(base_url=base_url)
    store = flow = None
    if oauth:
        store, engine = installation_store(client_id, settings.database_url)
        flow = oauth_flow(flow_client, client_id=client_id, client_secret=client_secret, state_secret=state_secret,
                          store=store)

        async def dispose(_app: web.Application) -> None:
            await engine.dispose()

        app.on_cleanup.append(dispose)
        authorization_log = logging.getLogger(AUTHORIZATION_LOGGER)
        if not any(isinstance(f, NotInstalled) for f in authorization_log.filters):
            authorization_log.addFilter(NotInstalled())
    bolt = AsyncApp(
        client=app_client,
        signing_secret=signing_secret or None,
        request_verification_enabled=bool(signing_secret),
        installation_store=store,
        oauth_flow=flow,
        logger=logging.getLogger("adapters.slack.bolt"),
        user_facing_authorize_error_message=AUTHORIZE_FAILED,
    )

    async def share_session(_app: web.Application) -> None:
        app_client.session = flow_client.session = context.http.get()

    app.on_startup.append(share_session)
    cards = CardMemory()
    port = SlackPort(client, Tokens("" if oauth else bot_token, store), cards)
    Listeners(context.core, port, context.replies, cards).register(bolt)

    routes = SlackRoutes(bolt, flow)
    mounted: list[str] = []
    if signing_secret:
        app.router.add_post(EVENTS_PATH, routes.events)
        mounted.append(f"POST {EVENTS_PATH}")
    if flow is not None:
        app.router.add_get(INSTALL_PATH, routes.install)
        app.router.add_get(REDIRECT_PATH, routes.oauth_redirect)
        mounted.extend((f"GET {INSTALL_PATH}", f"GET {REDIRECT_PATH}"))
    workspaces = "OAuth, every installed workspace" if oauth else "one workspace"
    if app_token:
        socket = SocketMode(bolt, app_token, app_client)
        mounted.append("Socket Mode")
        return Mounted("slack", f"on (Socket Mode, {workspaces})", tuple(mounted), (port,), ready=socket.connected,
                       background=(socket.run,))
    return Mounted("slack", f"on (HTTP events, {workspaces})", tuple(mounted), (port,))
