"""The web chat's wire format: the JSON frames on `/chat/ws`, and the HTML each message is shown as.

Page → server (one JSON object per text frame, at most `MAX_FRAME` bytes):
- `{"type": "message", "text": "..."}`: the user says something (at most `MAX_TEXT` characters);
- `{"type": "action", "message": "<id>", "verb": "ticket.assign_me", "values": {...}}`: a card button was
  pressed on message `<id>`, with the action's data and the card's input values (flat: text, numbers,
  booleans).

Server → page:
- `{"type": "welcome", "as": email, "bot": name, "history": [entry, ...]}` first, on every (re)connect;
- `{"type": "message", ...entry}`: a new message (the user's own one is echoed, so every tab shows it);
- `{"type": "replace", ...entry}`: a refreshed card in place of the message with that id;
- `{"type": "done"}` after each page frame was handled; `{"type": "error", "text": "..."}` for a bad frame.

An entry is `{"id", "author": "user" | "bot", "html"}`; the HTML is rendered here from the stored message,
every user text escaped (`cards.html`), so the page inserts it as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.seam import OutboundMessage, TranscriptEntry
from bot.web import BadBody, parse_json
from cards.escape import escape_html
from cards.html import render_html

PLATFORM = "web"
MAX_FRAME = 64 * 1024
MAX_TEXT = 4000
MAX_ID = 64
MAX_VERB = 100
MAX_VALUES = 50
HISTORY = 50  # messages shown again on connect (the transcript keeps more)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL = 320


def parse_email(value: str) -> str | None:
    """The email in its stored form (trimmed, lowercase), or None when it is not one."""
    email = value.strip().lower()
    return email if len(email) <= MAX_EMAIL and _EMAIL.fullmatch(email) else None


def message_html(message: OutboundMessage) -> str:
    """A message as the page shows it: its card, or its text in a paragraph (escaped either way)."""
    if message.card is not None:
        return render_html(message.card)
    return f'<p class="message-text">{escape_html(message.text)}</p>'


def entry_frame(kind: Literal["message", "replace"], entry: TranscriptEntry) -> dict[str, Any]:
    """The frame that shows (or replaces) one message."""
    return {"type": kind, "id": entry.message_id, "author": entry.author, "html": message_html(entry.message)}


class BadFrame(ValueError):
    """A frame from the page that cannot be handled; `str()` says why, fit for the user."""


@dataclass(frozen=True)
class Said:
    """The user typed a message."""

    text: str


@dataclass(frozen=True)
class Pressed:
    """The user pressed a card button."""

    message_id: str
    verb: str
    values: Mapping[str, Any]


def _short_text(data: Mapping[str, Any], name: str, limit: int) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise BadFrame(f"The frame's `{name}` must be a text of at most {limit} characters.")
    return value


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    values = data.get("values", {})
    if not isinstance(values, dict) or len(values) > MAX_VALUES:
        raise BadFrame(f"The frame's `values` must be an object of at most {MAX_VALUES} fields.")
    for key, value in values.items():
        if not (value is None or isinstance(value, str | int | float | bool)) or len(key) > MAX_VERB:
            raise BadFrame(f"The value `{key[:MAX_VERB]}` must be a text, a number or a boolean.")
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise BadFrame(f"The value `{key}` is longer than {MAX_TEXT} characters.")
    return values


def parse_frame(raw: str) -> Said | Pressed:
    """The page's frame; raises `BadFrame`."""
    try:
        data = parse_json(raw)
    except BadBody as exc:
        raise BadFrame(str(exc).replace("The body", "The frame")) from None
    if not isinstance(data, dict):
        raise BadFrame("A frame is a JSON object with a `type`.")
    kind = data.get("type")
    if kind == "message":
        text = _short_text(data, "text", MAX_TEXT)
        if not text.strip():
            raise BadFrame("The message is empty.")
        return Said(text)
    if kind == "action":
        message_id = _short_text(data, "message", MAX_ID)
        if not message_id:
            raise BadFrame("The action does not say which message its card is on.")
        return Pressed(message_id, _short_text(data, "verb", MAX_VERB), _values(data))
    raise BadFrame('A frame\'s `type` is "message" or "action".')
