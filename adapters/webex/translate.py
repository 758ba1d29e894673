"""Webex webhook payloads, with the resources they name, as seam types.

A webhook carries ids only; the route fetches the message or the card submission and hands both here. The
idempotency key of every event is the webhook's `data.id` (the message, the submission, the membership), which
a redelivery repeats, so the core runs it once. Conversations are Webex rooms (`roomId`); a thread is named by
its root message (`parentId`), since Webex threads are one level deep.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from adapters.webex.markup import PLATFORM, message_text
from bot.seam import Actor, Attachment, ConversationRef, EventKind, InboundEvent, MessageRef, Scope
from cards import verbs

EVENTS = (
    ("messages", "created"),
    ("attachmentActions", "created"),
    ("memberships", "created"),
    ("memberships", "deleted"),
)


class BadWebhook(ValueError):
    """The body is not a webhook the bot handles; the message says why."""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def webhook_data(body: Any) -> tuple[str, Mapping[str, Any]]:
    """(`"resource:event"`, `data`) of a webhook body; raises `BadWebhook` when it is not one of `EVENTS` or its
    data has no id."""
    if not isinstance(body, Mapping):
        raise BadWebhook("The body must be a JSON object (a Webex webhook).")
    kind = (body.get("resource"), body.get("event"))
    if kind not in EVENTS:
        raise BadWebhook(f"This endpoint handles {', '.join(':'.join(e) for e in EVENTS)} webhooks only.")
    data = body.get("data")
    if not isinstance(data, Mapping) or not _text(data.get("id")):
        raise BadWebhook("The webhook has no data.id (a non-empty string).")
    return f"{kind[0]}:{kind[1]}", data


def scope_of(room_type: Any) -> Scope:
    """personal for a 1:1 space (`direct`), group for any other."""
    return "personal" if room_type == "direct" else "group"


def room_ref(
    room_id: str, room_type: Any, *, thread: str | None = None, person: Actor | None = None
) -> ConversationRef:
    """A Webex space; a 1:1 space remembers its person (to find it again for a direct message)."""
    scope = scope_of(room_type)
    data = {"person_id": person.user_id, "person_email": person.email} if person and scope == "personal" else {}
    return ConversationRef(PLATFORM, room_id, thread, scope, {k: v for k, v in data.items() if v})


def attachments_of(message: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """The message's files (Webex gives a content URL for each) as references, named by their URL's last part."""
    files = message.get("files")
    urls = [f for f in files if isinstance(f, str) and f] if isinstance(files, list) else []
    return tuple(Attachment(name=unquote(posixpath.basename(urlsplit(url).path)) or "file", url=url) for url in urls)


def message_event(message: Mapping[str, Any], actor: Actor, *, key: str, bot: Mapping[str, Any]) -> InboundEvent:
    """A message as the core sees it: in its space and thread, the bot's mention removed."""
    names = tuple(str(bot.get(k) or "") for k in ("displayName", "nickName", "firstName"))
    stripped = message_text(message, bot_id=str(bot.get("id") or ""), bot_names=names)
    mentions = tuple(Actor(PLATFORM, m.user_id, m.name) for m in stripped.mentions if m.user_id)
    ref = room_ref(str(message.get("roomId")), message.get("roomType"), thread=_text(message.get("parentId")),
                   person=actor)
    return InboundEvent(
        EventKind.MESSAGE,
        ref,
        actor,
        key,
        text=stripped.text,
        mentions=mentions,
        attachments=attachments_of(message),
    )


def card_action_event(
    action: Mapping[str, Any], card_message: Mapping[str, Any], actor: Actor, *, key: str
) -> InboundEvent:
    """A card submission: the verb and inputs (Webex merges the action's `data` into `inputs`), in the thread of
    the pressed card (its own thread root, or the card itself when it started none)."""
    inputs = action.get("inputs")
    values = dict(inputs) if isinstance(inputs, Mapping) else {}
    card_id = str(action.get("messageId") or card_message.get("id") or "")
    thread = _text(card_message.get("parentId")) or card_id or None
    room = str(action.get("roomId") or card_message.get("roomId"))
    ref = room_ref(room, card_message.get("roomType"), thread=thread, person=actor)
    return InboundEvent(
        EventKind.CARD_ACTION,
        ref,
        actor,
        key,
        action=_text(values.get("action")) or verbs.UNKNOWN,
        values=values,
        source_message=MessageRef(ref, card_id) if card_id else None,
    )


def membership_event(kind: str, membership: Mapping[str, Any], actor: Actor, *, key: str) -> InboundEvent:
    """The bot added to a space (`memberships:created`: INSTALLED) or removed from it (`memberships:deleted`:
    UNINSTALLED, so the core forgets the space)."""
    ref = room_ref(str(membership.get("roomId")), membership.get("roomType"), person=actor)
    installed = kind == "memberships:created"
    return InboundEvent(EventKind.INSTALLED if installed else EventKind.UNINSTALLED, ref, actor, key)
