"""The write ceiling: a plain aiohttp handler that writes one row per request with our SQLite set-up
(`storage.db.Database`: WAL, one pooled connection) and answers a message, as an outgoing webhook would.

The row's key is the request's id: a Teams activity's `id`, or for a Webex webhook (whose own `id` is the
webhook's, the same on every request) the `id` of the message in its `data`."""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web
from sqlalchemy import insert

from storage.db import Database
from storage.migrate import upgrade
from storage.models import SeenEvent, utcnow


def main(port: int, url: str) -> None:
    db = Database(url)
    asyncio.run(upgrade(db))
    db = Database(url)  # a fresh engine for the serving loop

    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        async with db.transaction() as session:
            await session.execute(insert(SeenEvent).values(key=str((body.get("data") or body)["id"]), seen_at=utcnow()))
        return web.json_response({"type": "message", "text": f"got {body.get('text', '')[:50]}"})

    app = web.Application()
    app.router.add_post("/hook", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
