"""The Webex `ChatPort`: post into a space (in a thread with `parentId`) or to a person, and "update" a card.

Webex cannot edit a message that carries a card, so `update` posts the refreshed card in the pressed card's
thread. A direct conversation is the 1:1 space with the person when the bot knows it, else the person itself
(`toPersonId`), which Webex turns into the 1:1 space on the first message. Refusals are `DeliveryError`s from
the client (429 with Retry-After, `permanent` per `bot.web.is_permanent`).
"""

from __future__ import annotations

from typing import Any

from adapters.webex.client import WebexClient
from adapters.webex.markup import PLATFORM
from adapters.webex.render import message_bodies
from bot.seam import Actor, ConversationDirectory, ConversationRef, DeliveryError, MessageRef, OutboundMessage

PERSON_KEY = "to_person_id"
EMAIL_KEY = "to_person_email"


def destination(to: ConversationRef) -> dict[str, Any]:
    """The `POST /messages` fields that address `to`: the person for a not-yet-opened direct conversation, else
    the space, and the thread's root as `parentId`."""
    if to.data.get(PERSON_KEY):
        return {"toPersonId": to.data[PERSON_KEY]}
    if to.data.get(EMAIL_KEY):
        return {"toPersonEmail": to.data[EMAIL_KEY]}
    fields: dict[str, Any] = {"roomId": to.conversation_id}
    if to.thread_id:
        fields["parentId"] = to.thread_id
    return fields


class WebexPort:
    """`bot.seam.ChatPort` for Webex."""

    platform = PLATFORM

    def __init__(self, client: WebexClient, directory: ConversationDirectory) -> None:
        self.client = client
        self.directory = directory

    async def send(self, to: ConversationRef, msg: OutboundMessage) -> MessageRef:
        """Post the message (a card with more than five actions becomes several card messages, in order). The
        reference is to the first one; a message that starts a group space's thread becomes its thread root."""
        if to.platform != PLATFORM:
            raise DeliveryError(f"The Webex port cannot send to a {to.platform} conversation.", permanent=True)
        target = destination(to)
        first, *rest = message_bodies(msg)
        posted = await self.client.post_message({**target, **first})
        if rest and "roomId" not in target:  # the continuation cards go into the 1:1 space the first one opened
            target = {"roomId": str(posted.get("roomId"))}
        for body in rest:
            await self.client.post_message({**target, **body})
        room = str(posted.get("roomId") or to.conversation_id)
        message_id = str(posted.get("id") or "")
        if room != to.conversation_id:  # a message to a person: from now on, its 1:1 space
            person = {"person_id": to.data.get(PERSON_KEY), "person_email": to.data.get(EMAIL_KEY)}
            to = ConversationRef(PLATFORM, room, None, "personal", {k: v for k, v in person.items() if v})
        thread = to.thread_id or (message_id if to.scope == "group" and message_id else None)
        return MessageRef(to.in_thread(thread), message_id)

    async def update(self, ref: MessageRef, msg: OutboundMessage) -> MessageRef:
        """Post the refreshed card in the thread of the card it replaces (Webex cannot edit a card message)."""
        thread = ref.conversation.thread_id or ref.message_id
        return await self.send(ref.conversation.in_thread(thread), msg)

    def account(self, to: ConversationRef) -> str:
        return ""  # Webex limits the bot, whoever it writes to

    async def open_direct(self, actor: Actor) -> ConversationRef:
        """The 1:1 space with a Webex person (by person id, or by email for someone the bot has not met): a
        known one, or the person to message (Webex opens the space on the first message)."""
        if actor.platform != PLATFORM:
            raise DeliveryError(f"A Webex direct message needs a Webex person, not a {actor.platform} one.",
                                permanent=True)
        for ref in await self.directory.installed(PLATFORM):
            if ref.scope == "personal" and actor.user_id in (ref.data.get("person_id"), ref.data.get("person_email")):
                return ref
        key = EMAIL_KEY if "@" in actor.user_id else PERSON_KEY  # Webex person ids are base64, never an email
        return ConversationRef(PLATFORM, actor.user_id, None, "personal", {key: actor.user_id})
