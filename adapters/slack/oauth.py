"""Installing the app into several workspaces (OAuth v2): bolt's `AsyncOAuthFlow`, our database as its store.

Installations go to slack_sdk's `AsyncSQLAlchemyInstallationStore` (tables `slack_bots` and
`slack_installations`, created by our Alembic migration 0003) over an engine this adapter opens from
`DATABASE_URL` (adapters do not import `storage`). The OAuth `state` is signed with `SLACK_STATE_SECRET`
(HMAC-SHA256 over a random nonce and its expiry), so it needs no table and any server process can check it;
bolt also binds it to the installing browser with a cookie.
"""

from __future__ import annotations

import logging
import secrets
import time

from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.slack.declared import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH
from bot.web import hmac_hex, same

log = logging.getLogger(__name__)

STATE_SECONDS = 600  # bolt's default: the user has ten minutes between "Add to Slack" and approving


class SignedStateStore(AsyncOAuthStateStore):
    """OAuth states that are `nonce.expiry.signature`: valid when signed by us and not expired."""

    def __init__(self, secret: str, expiration_seconds: int = STATE_SECONDS) -> None:
        self._key = secret.encode()
        self._seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        body = f"{secrets.token_urlsafe(16)}.{int(time.time()) + self._seconds}"
        return f"{body}.{hmac_hex(self._key, body.encode())}"

    async def async_consume(self, state: str) -> bool:
        body, _, signature = state.rpartition(".")
        expiry = body.rpartition(".")[2]
        if not (body and expiry.isdigit() and same(hmac_hex(self._key, body.encode()), signature)):
            return False
        return int(expiry) >= time.time()


def installation_store(client_id: str, database_url: str) -> tuple[AsyncSQLAlchemyInstallationStore, AsyncEngine]:
    """The installation store over our database, and its engine (disposed with the app)."""
    engine = create_async_engine(database_url, pool_pre_ping=True)
    return AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine), engine


def oauth_flow(client: AsyncWebClient, *, client_id: str, client_secret: str, state_secret: str,
               store: AsyncSQLAlchemyInstallationStore) -> AsyncOAuthFlow:
    """Bolt's OAuth flow on our paths, exchanging codes through `client` (pointed at `SLACK_API_URL`)."""
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=store,
        installation_store_bot_only=True,
        install_page_rendering_enabled=False,
        state_store=SignedStateStore(state_secret),
        state_expiration_seconds=STATE_SECONDS,
    )
    return AsyncOAuthFlow(client=client, settings=settings)
