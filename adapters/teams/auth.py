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
from botbuilder.schema import Activity, CallerIdConstants
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


def login_endpoint(settings: Settings) -> str:
    """Where the bot asks Azure AD for its outbound token: `TO_CHANNEL_FROM_BOT_LOGIN_URL`, else the public
    cloud's (botbuilder then adds the tenant)."""
    return settings.to_channel_from_bot_login_url or AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX


def sdk_configuration(settings: Settings) -> SimpleNamespace:
    """The settings in the shape botbuilder's configuration classes read.

    The endpoints are botbuilder's "parameterized" configuration, filled with the public cloud's values unless
    a setting names another: that is botbuilder's own knob for the signing keys' metadata URL and the token
    authority (the public-cloud class reads a class attribute instead)."""
    return SimpleNamespace(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password.get_secret_value(),
        APP_TYPE=settings.microsoft_app_type or "MultiTenant",
        APP_TENANTID=settings.microsoft_app_tenant_id,
        VALIDATE_AUTHORITY=True,
        TO_CHANNEL_FROM_BOT_LOGIN_URL=login_endpoint(settings),
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        OAUTH_URL=AuthenticationConstants.OAUTH_URL,
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.to_bot_from_channel_openid_metadata_url
        or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
        TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
        CALLER_ID=CallerIdConstants.public_azure_channel,
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
        self.pool = ConnectorPool(credentials, session, login_endpoint=login_endpoint(settings))
        self._token_clients: dict[str | None, UserTokenClient] = {}

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        """Validate the caller's token (raises on any failure) and attach the pooled connector factory."""
        if auth_header:
            result = await asyncio.wait_for(
                asyncio.to_thread(self._validate_blocking, activity, auth_header), VALIDATION_TIMEOUT
            )
        else:
            # No header: botbuilder lets the caller in anonymously when auth is off (it tests for None).
            result = await super().authenticate_request(activity, None)
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
