"""Talking to the conversation core in tests, as an adapter would, and reading its replies as a user does."""

from __future__ import annotations

import itertools
from typing import Any

from bot.seam import Actor, Attachment, ConversationRef, EventKind, InboundEvent, OutboundMessage, Reply
from cards.text import render_text

_ids = itertools.count(1)


class Chat:
    """One person in one conversation, sending messages and pressing card buttons."""

    def __init__(self, services, user: str = "u1", name: str = "Alice", email: str | None = None, *,
                 conversation: str = "conv-1", scope: str = "personal", platform: str = "console") -> None:
        self.services = services
        self.actor = Actor(platform, user, name, email)
        self.ref = ConversationRef(platform, conversation, scope=scope)

    async def say(
        self, text: str, *, key: str | None = None, mentions: tuple[Actor, ...] = (), files: tuple[Attachment, ...] = ()
    ) -> Reply:
        event = InboundEvent(
            EventKind.MESSAGE, self.ref, self.actor, key or f"m{next(_ids)}", text=text, mentions=mentions, attachments=files
        )
        return await self.services.core.handle(event)

    async def press(self, action: str, **values: Any) -> Reply:
        event = InboundEvent(EventKind.CARD_ACTION, self.ref, self.actor, f"a{next(_ids)}", action=action, values=values)
        return await self.services.core.handle(event)


def shown(message: OutboundMessage) -> str:
    """A message as a user reads it: its card rendered as the terminal chat shows it, else its text."""
    return render_text(message.card)[0] if message.card is not None else message.text


def texts(reply: Reply) -> str:
    """Everything a reply shows, joined: the messages, then the refreshed card."""
    parts = [shown(m) for m in reply.messages]
    if reply.refreshed is not None:
        parts.append(shown(reply.refreshed))
    return "\n".join(parts)


def buttons(reply: Reply) -> list[str]:
    """The verbs of every button the reply's cards offer."""
    messages = [*reply.messages, *((reply.refreshed,) if reply.refreshed is not None else ())]
    return [a.verb for m in messages if m.card is not None for a in m.card.actions]


def button_data(reply: Reply, verb: str) -> dict[str, Any]:
    """The data of the first button with this verb."""
    messages = [*reply.messages, *((reply.refreshed,) if reply.refreshed is not None else ())]
    action = next(a for m in messages if m.card is not None for a in m.card.actions if a.verb == verb)
    return dict(action.data)
