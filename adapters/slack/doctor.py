"""The Slack checks of `ticketbot doctor` (the `ticketbot.checks` entry point `slack`).

With Slack on (a bot token, or the three OAuth settings): it has a way in (the signing secret for HTTP events,
or an app-level token for Socket Mode). With `SLACK_BOT_TOKEN`: `auth.test` accepts it and names the workspace.
With `SLACK_APP_TOKEN`: `apps.connections.open` hands out a Socket Mode URL (nothing connects to it). Slack's
Web API cannot tell where Event Subscriptions point: the first event to `POST /slack/events` shows that.
"""

from __future__ import annotations

from collections.abc import Awaitable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.seam import Check
from bot.settings import Settings
from bot.web import SharedSession


def checks(settings: Settings, http: SharedSession) -> list[Check]:
    """The checks the Slack settings present allow; none when Slack is off."""
    bot_token = settings.slack_bot_token.get_secret_value()
    app_token = settings.slack_app_token.get_secret_value()
    signing = bool(settings.slack_signing_secret.get_secret_value())
    oauth = bool(settings.slack_client_id and settings.slack_client_secret.get_secret_value()
                 and settings.slack_state_secret.get_secret_value())
    if not (bot_token or oauth):
        return []

    def client(token: str | None = None) -> AsyncWebClient:
        return AsyncWebClient(token=token, base_url=settings.slack_api_url, session=http.get())

    async def way_in() -> str:
        if not (signing or app_token):
            raise RuntimeError("neither SLACK_SIGNING_SECRET nor SLACK_APP_TOKEN is set, so Slack is off")
        return ", ".join(w for w, on in (("HTTP events (signed)", signing), ("Socket Mode", bool(app_token))) if on)

    found = [
        Check(
            "slack events",
            way_in,
            "Set SLACK_SIGNING_SECRET (Basic Information → Signing Secret) for HTTP events to /slack/events, or "
            "SLACK_APP_TOKEN (an app-level token with connections:write) for Socket Mode.",
        )
    ]
    if bot_token:

        async def auth_test() -> str:
            answer = await _call(client(bot_token).auth_test())
            return f"the bot token is valid in team {answer.get('team_id')} as user {answer.get('user_id')}"

        found.append(
            Check(
                "slack auth.test",
                auth_test,
                "Copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions into SLACK_BOT_TOKEN; reinstall "
                "the app to the workspace if the token was revoked. Check SLACK_API_URL if it is set.",
            )
        )
    if app_token:

        async def socket_mode() -> str:
            await _call(client().apps_connections_open(app_token=app_token))
            return "Socket Mode hands out a connection"

        found.append(
            Check(
                "slack socket mode",
                socket_mode,
                "Turn Socket Mode on for the app, and put an app-level token with connections:write "
                "(Basic Information → App-Level Tokens) in SLACK_APP_TOKEN.",
            )
        )
    return found


async def _call(call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    """The Web API's answer; a refusal raised as its Slack error code (`invalid_auth`), not the SDK's essay."""
    try:
        return await call
    except SlackApiError as exc:
        raise RuntimeError(f"Slack answered {exc.response.get('error') or exc.response.status_code}") from None
