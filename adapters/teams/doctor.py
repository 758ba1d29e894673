"""The Teams checks of `ticketbot doctor` (the `ticketbot.checks` entry point `teams`).

With `MicrosoftAppId` set: a Bot Framework token is acquired with the configured credentials, the way replies
get theirs (msal, against Azure AD, or `TO_CHANNEL_FROM_BOT_LOGIN_URL` when set). Where Azure sends the bot's
messages (the registration's messaging endpoint) the bot's credentials cannot read: the first message shows it.
With `TEAMS_WEBHOOK_SECRET` set: the security token decodes as base64.
"""

from __future__ import annotations

import asyncio

from botbuilder.integration.aiohttp import ConfigurationServiceClientCredentialFactory
from botframework.connector.auth import AuthenticationConstants

from adapters.teams.auth import login_endpoint, sdk_configuration
from adapters.teams.webhook import webhook_key
from bot.seam import Check
from bot.settings import Settings
from bot.web import SharedSession


def checks(settings: Settings, _http: SharedSession) -> list[Check]:
    """The checks the Teams settings present allow; none when Teams runs unauthenticated and without a webhook."""
    found: list[Check] = []
    app_id = settings.microsoft_app_id
    if app_id:

        async def token() -> str:
            factory = ConfigurationServiceClientCredentialFactory(sdk_configuration(settings))
            credentials = await factory.create_credentials(
                app_id,
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
                login_endpoint(settings),
                True,
            )
            await asyncio.to_thread(credentials.get_access_token)
            return f"a Bot Framework token was issued to app {app_id}"

        found.append(
            Check(
                "teams bot framework token",
                token,
                "Check MicrosoftAppId, MicrosoftAppPassword (a current client secret), MicrosoftAppType and "
                "MicrosoftAppTenantId against the bot's Azure registration, and that Azure AD is reachable.",
            )
        )
    secret = settings.teams_webhook_secret.get_secret_value()
    if secret:

        async def webhook() -> str:
            if webhook_key(secret) is None:
                raise ValueError("TEAMS_WEBHOOK_SECRET is not base64")
            return "the outgoing-webhook security token decodes"

        found.append(
            Check(
                "teams outgoing webhook secret",
                webhook,
                "Copy the security token Teams showed when the outgoing webhook was created into TEAMS_WEBHOOK_SECRET.",
            )
        )
    return found
