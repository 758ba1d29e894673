"""The text and mentions of a fetched Webex message.

Webex gives a message's `text` (plain, where a mention is just the person's name) and, when it holds mentions
or formatting, its `html`, where each mention is `<spark-mention data-object-type="person"
data-object-id="…">Name</spark-mention>`. The html is the one that says who is mentioned, so it is parsed when
present (by the shared `adapters.markup.strip_markup`, which knows the `<spark-mention>` form); the bot's own
mention is removed. Without html, a group message still starts with the bot's name as typed after the `@`, which
is removed too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.markup import Stripped, strip_markup

PLATFORM = "webex"


def message_text(message: Mapping[str, Any], *, bot_id: str, bot_names: tuple[str, ...]) -> Stripped:
    """The message as plain text, with the people it mentions (the bot left out)."""
    html = message.get("html")
    names = tuple(n for n in bot_names if n)
    if isinstance(html, str) and html.strip():
        return strip_markup(PLATFORM, html, bot_names=names, bot_ids=(bot_id,))
    text = str(message.get("text") or "")
    if bot_id in mentioned_people(message):
        text = _without_leading_name(text, names)
    return strip_markup(PLATFORM, text, bot_names=names, bot_ids=(bot_id,))


def mentioned_people(message: Mapping[str, Any]) -> tuple[str, ...]:
    """The person ids the message mentions (`mentionedPeople`)."""
    people = message.get("mentionedPeople")
    return tuple(p for p in people if isinstance(p, str)) if isinstance(people, list) else ()


def _without_leading_name(text: str, names: tuple[str, ...]) -> str:
    """The text without the bot's name at its start (longest name first: "Ticketbot Dev" before "Ticketbot")."""
    stripped = text.lstrip()
    for name in sorted(names, key=len, reverse=True):
        if stripped.casefold().startswith(name.casefold()):
            return stripped[len(name) :]
    return text
