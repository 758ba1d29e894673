"""A small Microsoft Graph client over the process's aiohttp session: bearer tokens from msal, JSON in and out.

Requests go to `GRAPH_API_URL` as given (http or https). Every request asks for immutable ids
(`Prefer: IdType="ImmutableId"`), so a message keeps its id when it is moved to the processed folder. A 429 or
503 with a `Retry-After` of at most `MAX_WAIT` seconds is retried after that wait, up to `RETRIES` times (a caller
may ask for fewer: the mail port asks for none, since the outbox owns its retries); past that the caller gets a
`GraphError` carrying the status and the delay (the outbox or the next poll retries).
Links Graph hands back (`@odata.nextLink`, `@odata.deltaLink`) are followed only under the API URL, so the
token is never sent elsewhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp

from adapters.mail.config import MailConfig
from adapters.mail.token import TokenSource
from bot.web import BadBody, SharedSession, parse_json, retry_after_seconds

RETRIES = 2
MAX_WAIT = 30.0
THROTTLED = frozenset({429, 503})
IMMUTABLE_IDS = 'IdType="ImmutableId"'
TEXT_BODY = 'outlook.body-content-type="text"'


class GraphError(Exception):
    """Graph refused a request (`status`) or could not be reached (`status` None)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def _refusal(status: int, body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code, message = str(error.get("code", ""))[:80], str(error.get("message", ""))[:200]
        return f"Graph answered HTTP {status} ({code}: {message})"
    return f"Graph answered HTTP {status}."


class GraphClient:
    """Calls Graph for one mailbox's app registration."""

    def __init__(self, config: MailConfig, tokens: TokenSource, http: SharedSession) -> None:
        self.config = config
        self.tokens = tokens
        self.http = http

    def url(self, path: str) -> str:
        """The absolute URL of a path under the API URL."""
        return self.config.api_url + path.lstrip("/")

    def under_api(self, url: str) -> bool:
        """Whether a link Graph handed back points under the API URL."""
        return url.startswith(self.config.api_url)

    async def request(
        self,
        method: str,
        path_or_link: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        prefer: tuple[str, ...] = (),
        retries: int = RETRIES,
    ) -> Any:
        """The JSON answer (None for an empty one, e.g. 202 Accepted); raises `GraphError`. Throttling is waited
        out at most `retries` times."""
        url = path_or_link if path_or_link.startswith(("http://", "https://")) else self.url(path_or_link)
        if not self.under_api(url):
            raise GraphError(f"Refusing to follow a Graph link outside {self.config.api_url}.")
        headers = {
            "Authorization": f"Bearer {await self.tokens.token()}",
            "Prefer": ", ".join((IMMUTABLE_IDS, *prefer)),
        }
        attempt = 0
        while True:
            try:
                async with self.http.get().request(method, url, json=json, params=params, headers=headers) as resp:
                    raw = await resp.read()
                    status, retry_after = resp.status, retry_after_seconds(resp.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise GraphError(f"Graph could not be reached ({type(exc).__name__}).") from exc
            try:
                body = parse_json(raw) if raw.strip() else None
            except BadBody:
                if status < 400:
                    raise GraphError(f"Graph answered HTTP {status} without JSON.", status=status) from None
                body = None
            if status < 400:
                return body
            if status in THROTTLED and retry_after is not None and retry_after <= MAX_WAIT and attempt < retries:
                attempt += 1
                await asyncio.sleep(retry_after)
                continue
            raise GraphError(_refusal(status, body), status=status, retry_after=retry_after)
