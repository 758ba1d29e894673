"""The open web-chat sockets, by conversation: a message for a conversation is pushed to each of its sockets.

A user may have the chat open in several tabs; each tab is one socket of the same conversation. Pushing and
joining take the conversation's lock, so a tab that is joining gets every message either in the history it
is sent or as a push after it, never in between (the page replaces a message it already shows by its id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSCloseCode, web

log = logging.getLogger(__name__)


class Hub:
    """Open sockets per conversation id, with one lock per conversation (kept: one small lock per web user)."""

    def __init__(self) -> None:
        self._sockets: defaultdict[str, set[web.WebSocketResponse]] = defaultdict(set)
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @contextlib.asynccontextmanager
    async def joining(self, conversation_id: str, socket: web.WebSocketResponse) -> AsyncIterator[None]:
        """Add the socket; pushes to the conversation wait until the block (which sends the history) is done."""
        async with self._locks[conversation_id]:
            self._sockets[conversation_id].add(socket)
            yield

    def leave(self, conversation_id: str, socket: web.WebSocketResponse) -> None:
        """Remove the socket (it closed)."""
        sockets = self._sockets.get(conversation_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[conversation_id]

    async def push(self, conversation_id: str, frame: dict[str, Any]) -> int:
        """Send the frame to every open socket of the conversation; returns how many took it."""
        async with self._locks[conversation_id]:
            sockets = list(self._sockets.get(conversation_id, ()))
            delivered = 0
            for socket in sockets:
                try:
                    await socket.send_json(frame)
                    delivered += 1
                except (ConnectionError, RuntimeError):
                    log.info("a web-chat socket closed while a message was pushed to it")
                    self.leave(conversation_id, socket)
            return delivered

    async def close_all(self) -> None:
        """Close every socket (the server is shutting down; the pages reconnect when it is back)."""
        for sockets in list(self._sockets.values()):
            for socket in list(sockets):
                await socket.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        self._sockets.clear()
        self._locks.clear()
