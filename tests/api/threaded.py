"""The whole app served from a thread with its own event loop, for clients that call synchronously
(schemathesis sends with `requests`, which would block the test's own loop)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Self

from aiohttp import web

from bot.app import create_app
from bot.services import Services
from tests.api.helpers import make_keys
from tests.helpers import make_settings


class ThreadedApp:
    """Serves the app over the database at `url` on 127.0.0.1 while inside `with`; `keys` by role."""

    def __init__(self, url: str) -> None:
        self._db_url = url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.keys: dict[str, str] = {}

    async def _start(self) -> None:
        services = Services(make_settings(self._db_url))
        self.keys = await make_keys(services)
        self._runner = web.AppRunner(create_app(services, upgrade=False))
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
