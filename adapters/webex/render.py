"""Outbound messages as Webex `POST /messages` bodies (without the destination fields).

A plain message goes as `text` (Webex parses no markup or mentions there, so user text needs no escaping). A
message with a card goes as one or more card messages (Webex allows one card per message and at most five
actions per card, see `cards.adaptive.render_webex`), each with its markdown fallback, which clients without
cards show and notifications quote. Webex refuses a `text` or `markdown` longer than `MAX_TEXT_BYTES`; a
longer one is cut at a line or word break and ends with an ellipsis, so it is never rejected.
"""

from __future__ import annotations

from typing import Any

from bot.seam import OutboundMessage
from cards.adaptive import render_webex

MAX_TEXT_BYTES = 7439  # Webex's limit on a message's text and markdown, in UTF-8 bytes
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
ELLIPSIS = " …"
_BREAK_WINDOW = 400  # how far back (in characters) a cut looks for a line or word break


def fit(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """`text`, or when its UTF-8 form is longer than `limit` bytes, its start cut cleanly plus an ellipsis:
    never inside a character, preferably at a line break or a space, never after a lone escaping backslash."""
    if len(text.encode("utf-8")) <= limit:
        return text
    budget = limit - len(ELLIPSIS.encode("utf-8"))
    head = text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    window = head[-_BREAK_WINDOW:]
    for mark in ("\n", " "):
        at = window.rfind(mark)
        if at > 0:
            head = head[: len(head) - len(window) + at]
            break
    head = head.rstrip()
    escapes = len(head) - len(head.rstrip("\\"))
    if escapes % 2:
        head = head[:-1]
    return head + ELLIPSIS


def message_bodies(message: OutboundMessage) -> list[dict[str, Any]]:
    """The `POST /messages` bodies that say `message`, in order (one card each)."""
    if message.card is None:
        return [{"text": fit(message.text or " ")}]
    return [
        {"markdown": fit(markdown), "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}]}
        for card, markdown in render_webex(message.card)
    ]
