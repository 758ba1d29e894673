"""Graph access tokens from msal's `ConfidentialClientApplication` (client credentials), cached by msal.

msal is blocking (it calls the token endpoint with `requests`), so every call runs in a worker thread; msal
keeps the token in its in-memory cache and only calls the endpoint again shortly before it expires. Instance
discovery is off: msal would otherwise ask `login.microsoftonline.com` whether an authority it does not know
(a national cloud, a private or local one) is valid, and that call must not leave the configured cloud. TLS is
verified by `requests` with its standard trust settings (its CA bundle, or `REQUESTS_CA_BUNDLE`).
"""

from __future__ import annotations

import asyncio
import threading

import msal
import requests

from adapters.mail.config import MailConfig


class TokenError(Exception):
    """No token: the authority refused (wrong secret, unknown client or tenant) or could not be reached."""


class TokenSource:
    """Application tokens for Graph, one msal client per process."""

    def __init__(self, config: MailConfig) -> None:
        self._config = config
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def _client(self) -> msal.ConfidentialClientApplication:
        with self._lock:
            if self._app is None:
                self._app = msal.ConfidentialClientApplication(
                    self._config.client_id,
                    client_credential=self._config.client_secret,
                    authority=self._config.authority,
                    instance_discovery=False,
                )
            return self._app

    def _acquire(self) -> str:
        authority = self._config.authority
        try:
            result = self._client().acquire_token_for_client(scopes=[self._config.scope])
        except ValueError as exc:  # msal: the authority's metadata is missing or malformed
            raise TokenError(f"the authority {authority} is not usable ({str(exc)[:200]})") from None
        except requests.RequestException as exc:
            raise TokenError(f"the authority {authority} could not be reached ({type(exc).__name__})") from None
        token = result.get("access_token") if isinstance(result, dict) else None
        if not token:
            error = result.get("error", "no token") if isinstance(result, dict) else "no token"
            detail = str(result.get("error_description", "")).splitlines() if isinstance(result, dict) else []
            raise TokenError(f"{error}: {detail[0][:200]}" if detail else str(error))
        return str(token)

    def _close(self) -> None:
        with self._lock:
            if self._app is not None:
                self._app.http_client.close()
                self._app = None

    async def close(self) -> None:
        """Close msal's HTTP session (its kept-alive connection to the authority); a later call opens a new one.

        In a thread: a token request in flight holds the lock while msal talks to the authority, and waiting
        for it on the event loop would stop the loop that request may need (a local authority, a proxy)."""
        await asyncio.to_thread(self._close)

    async def token(self) -> str:
        """A valid access token (from msal's cache when it has one)."""
        return await asyncio.to_thread(self._acquire)
