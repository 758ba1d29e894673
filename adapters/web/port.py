"""The web chat's `ChatPort`: a message for a web conversation is stored in its transcript and pushed to the
conversation's open sockets.

Nothing is lost while the user is away: a message sent with no tab open is in the transcript, and every
(re)connect starts with the transcript's last messages, so the user sees it when they come back. Sending
therefore succeeds whether or not a socket is open; it fails (`DeliveryError`) only for a conversation that is
not a web one, and `update` for a message the conversation does not have.
"""

from __future__ import annotations

from adapters.web.frames import PLATFORM, entry_frame, parse_email
from adapters.web.hub import Hub
from bot.seam import (
    Actor,
    Author,
    ConversationRef,
    DeliveryError,
    MessageRef,
    OutboundMessage,
    Transcript,
    TranscriptEntry,
)


def conversation_of(email: str) -> ConversationRef:
    """The one web conversation of the user with this email (every tab of theirs joins it)."""
    return ConversationRef(PLATFORM, email, scope="personal", data={"user_id": email})


class WebPort:
    """`bot.seam.ChatPort` for the web chat."""

    platform = PLATFORM

    def __init__(self, transcript: Transcript, hub: Hub) -> None:
        self.transcript = transcript
        self.hub = hub

    @staticmethod
    def _check(to: ConversationRef) -> None:
        if to.platform != PLATFORM:
            raise DeliveryError(f"The web chat cannot send into a {to.platform} conversation.", permanent=True)

    async def post(self, to: ConversationRef, author: Author, msg: OutboundMessage) -> MessageRef:
        """Store the message (by the bot or, echoed, by the user) and push it to the open sockets."""
        self._check(to)
        message_id = await self.transcript.append(to, author, msg)
        await self.hub.push(to.conversation_id, entry_frame("message", TranscriptEntry(message_id, author, msg)))
        return MessageRef(to, message_id)

    async def send(self, to: ConversationRef, msg: OutboundMessage) -> MessageRef:
        """Send a bot message: stored, and pushed live where the user has the chat open."""
        return await self.post(to, "bot", msg)

    async def update(self, ref: MessageRef, msg: OutboundMessage) -> MessageRef:
        """Replace a message (a refreshed card) in the transcript and in every open tab."""
        self._check(ref.conversation)
        if not await self.transcript.replace(ref, msg):
            raise DeliveryError("The web conversation has no such message (any more).", permanent=True)
        frame = entry_frame("replace", TranscriptEntry(ref.message_id, "bot", msg))
        await self.hub.push(ref.conversation.conversation_id, frame)
        return ref

    def account(self, to: ConversationRef) -> str:
        return ""  # no platform in between, only the browsers

    async def open_direct(self, actor: Actor) -> ConversationRef:
        """The web conversation of a web user (their user id is their email)."""
        email = parse_email(actor.user_id) if actor.platform == PLATFORM else None
        if email is None:
            raise DeliveryError(f"A web chat needs a web user, not a {actor.platform} one.", permanent=True)
        return conversation_of(email)
