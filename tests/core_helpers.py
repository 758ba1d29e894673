"""Talking to the conversation core in tests, as an adapter would."""

from __future__ import annotations

import itertools
from typing import Any

from bot.seam import Actor, ConversationRef, EventKind, InboundEvent, Reply

_ids = itertools.count(1)


class Chat:
    """One person in one conversation, sending messages and pressing card buttons."""

    def __init__(self, services, user: str = "u1", name: str = "Alice", email: str | None = None, *,
                 conversation: str = "conv-1", scope: str = "personal", platform: str = "console") -> None:
        self.services = services
        self.actor = Actor(platform, user, name, email)
        self.ref = ConversationRef(platform, conversation, scope=scope)

    async def say(self, text: str, *, key: str | None = None, mentions: tuple[Actor, ...] = ()) -> Reply:
        event = InboundEvent(EventKind.MESSAGE, self.ref, self.actor, key or f"m{next(_ids)}", text=text, mentions=mentions)
        return await self.services.core.handle(event)

    async def press(self, action: str, **values: Any) -> Reply:
        event = InboundEvent(EventKind.CARD_ACTION, self.ref, self.actor, f"a{next(_ids)}", action=action, values=values)
        return await self.services.core.handle(event)


def texts(reply: Reply) -> str:
    """Every text of a reply, joined: what a user reads."""
    parts = [m.text for m in reply.messages]
    if reply.refreshed is not None:
        parts.append(reply.refreshed.text)
    return "\n".join(parts)
