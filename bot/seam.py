"""The seam between the conversation core and the platform adapters.

These types are the only thing the core and an adapter share: an adapter turns a platform payload into an
`InboundEvent`, hands it to the core, and renders the `OutboundMessage`s of the `Reply` with its `ChatPort`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cards.model import Card


class EventKind(str, enum.Enum):
    """What an inbound event is."""

    MESSAGE = "message"
    CARD_ACTION = "card_action"
    INSTALLED = "installed"
    UNINSTALLED = "uninstalled"


@dataclass(frozen=True)
class ConversationRef:
    """Where: enough to reply in a conversation, or to send into it proactively later."""

    platform: str
    conversation_id: str
    thread_id: str | None = None
    scope: str = "personal"  # "personal" | "group" | "channel"
    data: Mapping[str, Any] = field(default_factory=dict)  # adapter-owned (serviceUrl, tenant, bot id, ...)


@dataclass(frozen=True)
class Actor:
    """Who: a platform identity. The core maps it to a member."""

    platform: str
    user_id: str
    name: str = ""
    email: str | None = None


@dataclass(frozen=True)
class MessageRef:
    """A message the bot sent, so that it can be edited or replied under later."""

    conversation: ConversationRef
    message_id: str


@dataclass(frozen=True)
class InboundEvent:
    """What happened: a message, a card action, an install or an uninstall."""

    kind: EventKind
    conversation: ConversationRef
    actor: Actor
    idempotency_key: str
    text: str = ""
    mentions: tuple[Actor, ...] = ()
    action: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    source_message: MessageRef | None = None


@dataclass(frozen=True)
class OutboundMessage:
    """What the bot says: a plain text that is always present, and optionally a platform-neutral card."""

    text: str
    card: Card | None = None


@dataclass(frozen=True)
class Reply:
    """The core's answer to one event.

    `messages` are sent into the event's conversation in order. For a card action, `refreshed` is the new
    state of the pressed card (Teams answers the invoke with it, Slack updates the message, Webex posts it
    in the thread).
    """

    messages: tuple[OutboundMessage, ...] = ()
    refreshed: OutboundMessage | None = None


class Core(Protocol):
    """The conversation core as the adapters see it."""

    async def handle(self, event: InboundEvent) -> Reply: ...


class ChatPort(Protocol):
    """What the core and the outbox need of a platform: send, edit, open a direct conversation."""

    platform: str

    async def send(self, to: ConversationRef, msg: OutboundMessage) -> MessageRef: ...

    async def update(self, ref: MessageRef, msg: OutboundMessage) -> MessageRef: ...

    async def open_direct(self, actor: Actor) -> ConversationRef: ...
