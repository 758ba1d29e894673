"""Socket Mode: the same bolt app over Slack's websocket (`SLACK_APP_TOKEN`), for desks with no public URL.

bolt's aiohttp `AsyncSocketModeHandler` opens the socket with `apps.connections.open` (at `SLACK_API_URL`),
acks each envelope by its id and reconnects when Slack closes the socket or a ping goes unanswered; slack_sdk
logs each reconnect on this module's logger. `/readyz` reports whether a socket is open.
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

FIRST_RETRY = 1.0  # seconds before the first new attempt to connect; doubled up to LAST_RETRY
LAST_RETRY = 60.0


class SocketMode:
    """The socket as a background task of the app, and its state for `/readyz`."""

    def __init__(
        self, bolt: AsyncApp, app_token: str, web_client: AsyncWebClient, *, ping_interval: float = 10
    ) -> None:
        self.handler = AsyncSocketModeHandler(
            bolt, app_token, logger=log, web_client=web_client, ping_interval=ping_interval
        )

    def connected(self) -> bool:
        session = self.handler.client.current_session
        return session is not None and not session.closed

    async def run(self) -> None:
        """Connect (retrying with backoff while Slack cannot be reached or refuses) and stay connected until
        cancelled by the app's cleanup, then close the socket."""
        delay = FIRST_RETRY
        try:
            while True:
                try:
                    await self.handler.connect_async()
                    break
                except Exception as exc:  # apps.connections.open refused, or the socket did not open
                    log.warning("Slack Socket Mode could not connect (%s); retrying in %g s", type(exc).__name__, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, LAST_RETRY)
            log.info("Slack Socket Mode connected")
            await asyncio.Event().wait()
        finally:
            await self.handler.close_async()
