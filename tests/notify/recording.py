"""A `ChatPort` that records what it is asked to send, for the notification semantics tests.

DMs it opens are `dm:<user id>`; it can be told to refuse the next sends with a `DeliveryError`.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, replace

from bot.seam import Actor, ConversationRef, DeliveryError, MessageRef, OutboundMessage


@dataclass(frozen=True)
class Sent:
    """One message the port sent (or edited, when `edited` names the message)."""

    to: ConversationRef
    message: OutboundMessage
    message_id: str
    at: float
    edited: str | None = None


class RecordingPort:
    """`bot.seam.ChatPort` that keeps every message in `sent`."""

    def __init__(self, platform: str = "console", *, threads: bool = True) -> None:
        self.platform = platform
        self.threads = threads
        self.sent: list[Sent] = []
        self.refusals: list[DeliveryError] = []
        self._ids = itertools.count(1)

    def refuse_next(self, error: DeliveryError) -> None:
        """Raise this error on the next send instead of sending."""
        self.refusals.append(error)

    def received(self) -> dict[str, list[str]]:
        """The texts of the new messages (not edits) each conversation received, in order."""
        out: dict[str, list[str]] = {}
        for sent in self.sent:
            if sent.edited is None:
                out.setdefault(sent.to.conversation_id, []).append(sent.message.text)
        return out

    async def send(self, to: ConversationRef, msg: OutboundMessage) -> MessageRef:
        if self.refusals:
            raise self.refusals.pop(0)
        message_id = f"m{next(self._ids)}"
        self.sent.append(Sent(to, msg, message_id, time.monotonic()))
        thread = to.thread_id or (message_id if self.threads and to.scope != "personal" else None)
        return MessageRef(replace(to, thread_id=thread), message_id)

    async def update(self, ref: MessageRef, msg: OutboundMessage) -> MessageRef:
        self.sent.append(Sent(ref.conversation, msg, ref.message_id, time.monotonic(), edited=ref.message_id))
        return ref

    def account(self, to: ConversationRef) -> str:
        return ""

    async def open_direct(self, actor: Actor) -> ConversationRef:
        return ConversationRef(self.platform, f"dm:{actor.user_id}", None, "personal", {"user_id": actor.user_id})
