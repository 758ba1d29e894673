"""Bot Framework authentication from the settings: who may call `/api/messages`, and the bot's own credentials.

With `MicrosoftAppId` set, every activity must carry a Bot Framework JWT that botbuilder validates; any failure,
including signing keys that cannot be fetched, is a refusal (the route answers 401). With the app id empty,
the bot runs like a Bot Framework Emulator target: no tokens, and only loopback callers are let in.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)

from adapters.teams.connector import ConnectorPool
from bot.settings import Settings
from bot.web import SharedSession

LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
VALIDATION_TIMEOUT = 15.0


def is_loopback(remote: str | None) -> bool:
    """Whether a caller's address is this machine."""
    return remote in LOOPBACK


def sdk_configuration(settings: Settings) -> SimpleNamespace:
    """The settings in the shape botbuilder's configuration classes read."""
    return SimpleNamespace(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password.get_secret_value(),
        APP_TYPE=settings.microsoft_app_type or "MultiTenant",
        APP_TENANTID=settings.microsoft_app_tenant_id,
    )


def app_id_of(claims: ClaimsIdentity) -> str | None:
    """The bot's app id in validated claims: `aud` from a channel, `appid` from the Emulator, None when anonymous."""
    return claims.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM) or claims.get_claim_value(
        AuthenticationConstants.APP_ID_CLAIM
    )


class TeamsAuthentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's configuration-based authentication, with pooled connector clients and token validation
    kept off the event loop.

    botbuilder validates a JWT with blocking `requests` calls when it fetches the signing keys, so validation
    runs in a worker thread (with its own event loop) and is given up after `VALIDATION_TIMEOUT` seconds.
    """

    def __init__(self, settings: Settings, session: SharedSession) -> None:
        configuration = sdk_configuration(settings)
        try:
            credentials = ConfigurationServiceClientCredentialFactory(configuration)
        except Exception as exc:  # botbuilder raises a bare Exception naming the missing setting
            raise ValueError(f"The Teams settings are incomplete: {exc}") from None
        super().__init__(configuration, credentials_factory=credentials)
        self.pool = ConnectorPool(credentials, session)
        self._token_clients: dict[str | None, UserTokenClient] = {}

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        """Validate the caller's token (raises on any failure) and attach the pooled connector factory."""
        if auth_header:
            result = await asyncio.wait_for(
                asyncio.to_thread(self._validate_blocking, activity, auth_header), VALIDATION_TIMEOUT
            )
        else:
            result = await super().authenticate_request(activity, auth_header)
        result.connector_factory = self.create_connector_factory(result.claims_identity)
        return result

    def _validate_blocking(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        return asyncio.run(super().authenticate_request(activity, auth_header))

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self.pool.factory(app_id_of(claims_identity))

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        # botbuilder asks for one on every turn and builds a new msrest client each time; one per bot is enough.
        app_id = app_id_of(claims_identity)
        client = self._token_clients.get(app_id)
        if client is None:
            client = self._token_clients[app_id] = await super().create_user_token_client(claims_identity)
        return client
