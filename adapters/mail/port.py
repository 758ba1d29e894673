"""The mail `ChatPort`: answers in a ticket's mail thread, or writes a new mail to a person.

`send` to a thread (a reference carrying the mail to answer, `reply_to`) creates a reply draft with Graph
`createReply` — the subject tagged `[#N]` when the ticket is known, the body the card as HTML (or the plain text
when there is no card) — and sends it; the draft's id is the sent message's id. `send` to a person (from
`open_direct`) uses `sendMail`, which answers with no id. Mail cannot be edited, so `update` sends the new state
as another mail in the same thread. Every refusal raises `DeliveryError`, a 429 at once with Graph's Retry-After
(the port does not sleep it out in Graph's client: the outbox schedules the retry, as for every port).
"""

from __future__ import annotations

from typing import Any

from adapters.mail.config import PLATFORM
from adapters.mail.graph import GraphClient, GraphError
from adapters.mail.token import TokenError
from bot.seam import Actor, ConversationRef, DeliveryError, MessageRef, OutboundMessage
from bot.web import is_permanent
from cards.escape import escape_html
from cards.html_mail import html_document, render_mail_html

FOOTER = "Reply to this mail to add a note to the ticket; keep the [#N] in the subject."


def _subject(to: ConversationRef, msg: OutboundMessage) -> str:
    subject = str(to.data.get("subject") or (msg.card.title if msg.card else msg.text.split("\n", 1)[0]))[:200]
    ticket = to.data.get("ticket")
    tag = f"[#{ticket}]" if ticket is not None else ""
    if tag and tag not in subject:
        subject = f"{subject} {tag}"
    return subject if not to.data.get("reply_to") else f"Re: {subject}"


def _body(to: ConversationRef, msg: OutboundMessage) -> dict[str, str]:
    fragment = render_mail_html(msg.card) if msg.card else f"<p>{escape_html(msg.text)}</p>"
    footer = FOOTER.replace("N", str(to.data["ticket"])) if to.data.get("ticket") is not None else ""
    return {"contentType": "HTML", "content": html_document(fragment, footer=footer)}


class MailPort:
    """`bot.seam.ChatPort` for mail through Microsoft Graph."""

    platform = PLATFORM

    def __init__(self, graph: GraphClient) -> None:
        self.graph = graph

    async def _call(self, method: str, path: str, payload: dict[str, Any]) -> Any:
        try:
            return await self.graph.request(method, path, json=payload, retries=0)
        except GraphError as exc:
            raise DeliveryError(
                str(exc), status=exc.status, retry_after=exc.retry_after, permanent=is_permanent(exc.status)
            ) from exc
        except TokenError as exc:
            raise DeliveryError(f"No Graph token: {exc}") from exc

    async def send(self, to: ConversationRef, msg: OutboundMessage) -> MessageRef:
        """Reply in the thread, or mail the person the reference names."""
        mailbox = self.graph.config.mailbox_path
        message: dict[str, Any] = {"subject": _subject(to, msg), "body": _body(to, msg)}
        reply_to = to.data.get("reply_to")
        if reply_to:
            draft = await self._call("POST", f"{mailbox}/messages/{reply_to}/createReply", {"message": message})
            draft_id = str((draft or {}).get("id") or "")
            if not draft_id:
                raise DeliveryError("Graph created no reply draft.")
            await self._call("POST", f"{mailbox}/messages/{draft_id}/send", {})
            return MessageRef(to, draft_id)
        address = to.data.get("address")
        if not address:
            raise DeliveryError("This mail reference names neither a mail to answer nor an address.", permanent=True)
        message["toRecipients"] = [{"emailAddress": {"address": address}}]
        await self._call("POST", f"{mailbox}/sendMail", {"message": message, "saveToSentItems": True})
        return MessageRef(to, "")

    async def update(self, ref: MessageRef, msg: OutboundMessage) -> MessageRef:
        """Mail cannot be edited: the new state goes out as another mail in the thread."""
        return await self.send(ref.conversation, msg)

    def account(self, to: ConversationRef) -> str:
        return ""  # one mailbox sends everything

    async def open_direct(self, actor: Actor) -> ConversationRef:
        """A new mail to the person: their mail address (a mail identity's id, or the email another platform gave)."""
        address = (actor.user_id if actor.platform == PLATFORM else actor.email or "").strip().lower()
        if "@" not in address:
            raise DeliveryError(f"No mail address is known for {actor.name or actor.user_id}.", permanent=True)
        return ConversationRef(PLATFORM, address, None, "personal", {"address": address, "name": actor.name})
