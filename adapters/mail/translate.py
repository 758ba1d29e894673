"""Graph messages as the core sees them: who wrote, in which thread, and what it asks for.

A new mail becomes the structured form (`Title:` / `Priority:` / `Board:` / `Description:`), so the core opens
the ticket at once with the sender as requester. A mail in a ticket's thread (a subject tagged `[#42]`, or the
conversation the ticket was opened in) becomes `note 42 <text>`, or, when its first line is a command
(`close`, `reopen`, `assign to me`, `unassign …`, `priority high`, `status …`), that command for the ticket
(the core decides whether the sender may run it), with the rest of the mail as a note. When the core asked
a question instead of opening the ticket (a board with categories asks for one), the next mail in the thread
answers it with its first line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.mail.body import own_words
from adapters.mail.config import PLATFORM
from bot.seam import Actor, Attachment, ConversationRef, EventKind, InboundEvent, SenderRule

TITLE_MAX = 200  # SPEC §2: a title is 1..200 characters
NO_SUBJECT = "(no subject)"
IMPORTANCE = {"high": "high", "low": "low"}  # "normal" leaves the board's default priority

TAG = re.compile(r"\[#(\d{1,9})\]")
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg|tr|rv|sv|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_NO_REPLY = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|mailer-daemon|postmaster|bounces?)(?:[+._-].*)?$", re.IGNORECASE
)
# A line of the body that the structured form would read as a key ("Board: x"): a zero-width space before its
# colon keeps it description text, looking the same.
_KEY_LINE = re.compile(r"^([ \t]*(?:title|priority|description|board|category)[ \t]*):", re.IGNORECASE | re.MULTILINE)
_COMMAND = re.compile(
    r"^(?P<verb>close|reopen|re-open|assign|unassign|priority|prio|status)\b[ \t]*:?[ \t]*(?P<rest>.*)$", re.IGNORECASE
)


@dataclass(frozen=True)
class Mail:
    """The parts of a Graph message the adapter uses."""

    id: str
    internet_message_id: str
    conversation_id: str
    subject: str
    address: str
    name: str
    text: str
    importance: str
    headers: Mapping[str, str]
    attachments: tuple[Attachment, ...] = ()

    @property
    def ticket_tag(self) -> int | None:
        """The ticket number a `[#42]` in the subject names."""
        match = TAG.search(self.subject)
        return int(match.group(1)) if match else None

    @property
    def title(self) -> str:
        """The subject without `Re:`/`Fw:` prefixes and ticket tags, cut to a title's length at a word."""
        title = " ".join(TAG.sub(" ", _SUBJECT_PREFIX.sub("", self.subject)).split())
        if len(title) > TITLE_MAX:
            title = title[: TITLE_MAX + 1].rsplit(" ", 1)[0][:TITLE_MAX].rstrip()
        return title or NO_SUBJECT


def parse_mail(message: Mapping[str, Any], attachment_base: str) -> Mail | None:
    """The mail, or None when Graph sent something without a sender or an id (a draft, a removed item)."""
    sender = (message.get("from") or message.get("sender") or {}).get("emailAddress") or {}
    address = str(sender.get("address") or "").strip().lower()
    message_id = str(message.get("id") or "")
    if not address or not message_id:
        return None
    body = message.get("uniqueBody") or message.get("body") or {}
    headers = {
        str(h.get("name", "")).lower(): str(h.get("value", "")) for h in message.get("internetMessageHeaders") or ()
    }
    attachments = tuple(
        Attachment(
            name=str(a.get("name") or "attachment"),
            content_type=str(a.get("contentType") or ""),
            url=f"{attachment_base}/{message_id}/attachments/{a['id']}",
        )
        for a in message.get("attachments") or ()
        if a.get("id") and not a.get("isInline")
    )
    return Mail(
        id=message_id,
        internet_message_id=str(message.get("internetMessageId") or message_id),
        conversation_id=str(message.get("conversationId") or message_id),
        subject=str(message.get("subject") or ""),
        address=address,
        name=str(sender.get("name") or address),
        text=own_words(str(body.get("content") or "")),
        importance=str(message.get("importance") or "normal").lower(),
        headers=headers,
        attachments=attachments,
    )


def automatic(mail: Mail) -> bool:
    """Whether a machine sent it: an auto-reply or bounce (RFC 3834 `Auto-Submitted`, the `X-Autoreply`-style
    headers, `Precedence: bulk|junk|auto_reply`) or a no-reply sender. Answering those would start mail loops."""
    headers = mail.headers
    if headers.get("auto-submitted", "no").strip().lower() != "no":
        return True
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return True
    if headers.get("precedence", "").strip().lower() in {"bulk", "junk", "auto_reply"}:
        return True
    return bool(_NO_REPLY.match(mail.address.partition("@")[0]))


def actor(mail: Mail) -> Actor:
    """The sender as a mail identity (linked to a member by email)."""
    return Actor(platform=PLATFORM, user_id=mail.address, name=mail.name, email=mail.address)


def thread(mail: Mail, ticket: int | None = None) -> ConversationRef:
    """The mail thread: replies go to this mail, with the ticket's number in their subject."""
    data: dict[str, Any] = {"address": mail.address, "name": mail.name, "reply_to": mail.id, "subject": mail.title}
    if ticket is not None:
        data["ticket"] = ticket
    return ConversationRef(PLATFORM, mail.conversation_id, None, "personal", data)


def _event(mail: Mail, ref: ConversationRef, text: str, key: str) -> InboundEvent:
    return InboundEvent(
        kind=EventKind.MESSAGE,
        conversation=ref,
        actor=actor(mail),
        idempotency_key=key,
        text=text,
        attachments=mail.attachments,
    )


def new_ticket_event(mail: Mail, route: SenderRule) -> InboundEvent:
    """The structured form that opens a ticket from this mail on the sender's board."""
    lines = [f"Title: {mail.title}", f"Board: {route.board}"]
    if mail.importance in IMPORTANCE:
        lines.append(f"Priority: {IMPORTANCE[mail.importance]}")
    description = _KEY_LINE.sub("\\1\u200b:", mail.text)
    if description:
        lines.append(f"Description: {description}")
    return _event(mail, thread(mail), "\n".join(lines), mail.internet_message_id)


def answer_event(mail: Mail) -> InboundEvent:
    """The first line of the mail, as the answer to the question the core asked in its thread."""
    answer = next((line.strip() for line in mail.text.split("\n") if line.strip()), "")
    return _event(mail, thread(mail), answer, mail.internet_message_id)


def _command(number: int, line: str) -> str | None:
    match = _COMMAND.match(line.strip())
    if match is None:
        return None
    verb, rest = match.group("verb").lower(), match.group("rest").strip()
    if verb in ("close",):
        return f"close {number} {rest}".rstrip()
    if verb in ("reopen", "re-open"):
        return f"reopen {number}" if not rest else None
    if verb == "assign":
        who = re.sub(r"^to\s+", "", rest, flags=re.IGNORECASE) or "me"
        return f"assign {number} to {who}"
    if verb == "unassign":
        return f"unassign {number} {rest}".rstrip()
    if verb in ("priority", "prio"):
        return f"priority {number} {rest}" if rest else None
    return f"status {number} {rest}" if rest else None


def thread_events(mail: Mail, ticket: int) -> tuple[InboundEvent, ...]:
    """What a mail in ticket #`ticket`'s thread asks for: a command, a note, or a command and a note."""
    ref = thread(mail, ticket)
    first, _, rest = mail.text.partition("\n")
    command = _command(ticket, first)
    note = rest.strip() if command else mail.text
    if not note and mail.attachments and not command:
        note = "Attached: " + ", ".join(a.name for a in mail.attachments)
    events = []
    if command:
        events.append(_event(mail, ref, command, mail.internet_message_id))
    if note:
        key = f"{mail.internet_message_id}#note" if command else mail.internet_message_id
        events.append(_event(mail, ref, f"note {ticket} {note}", key))
    return tuple(events)
