"""Removing platform markup from an incoming message (SPEC §3, "Understanding a message", step 1).

Each platform marks up mentions, links and formatting its own way. `strip_markup` turns a message into plain
text for the parser and lists the people it mentions, leaving out mentions of the bot itself. Lines are kept
(the structured form and notes are line-based); runs of spaces and tabs within a line are collapsed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Mention:
    """A person mentioned in the message."""

    user_id: str | None
    name: str
    email: str | None = None


@dataclass(frozen=True)
class Stripped:
    """A message as plain text, and the people it mentions (in order, bot mentions left out)."""

    text: str
    mentions: tuple[Mention, ...]


_BLOCK = "\x00"  # marks where a block tag was, to split the text into lines there
_BLOCK_TAG = re.compile(r"</?(?:p|div|li|ul|ol|tr|table|h[1-6]|blockquote|pre)\b[^<>]*>", re.IGNORECASE)
_BR_TAG = re.compile(r"<br\s*/?>\n?", re.IGNORECASE)
_ANY_TAG = re.compile(r"<!--[^<>]*-->|</?[A-Za-z][^<>]*>")
_TEAMS_AT = re.compile(r"<at\b[^<>]*>([^<]*)</at>", re.IGNORECASE)
_WEBEX_MENTION = re.compile(r"<spark-mention\b([^<>]*)>([^<]*)</spark-mention>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SLACK_ENTITY = re.compile(r"<([^<>\s][^<>]*)>")
_MARKDOWN = (
    re.compile(r"(?<!\w)\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*(?!\w)"),
    re.compile(r"(?<!\w)__(?=\S)([^_\n]+?)(?<=\S)__(?!\w)"),
    re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"),
    re.compile(r"`([^`\n]+)`"),
)


def strip_markup(
    platform: str, text: str, *, bot_names: Iterable[str] = (), bot_ids: Iterable[str] = ()
) -> Stripped:
    """Plain text and mentions of a message from `platform` ("teams", "slack", "webex"; any other platform's
    text is only tidied). Mentions of the bot — by name in `bot_names` (case-insensitive) or id in
    `bot_ids` — are removed from the text and not listed."""
    names = {_fold(n) for n in bot_names}
    ids = set(bot_ids)
    mentions: list[Mention] = []
    strip = _STRIPPERS.get(platform.lower())
    if strip is not None:
        text = strip(text, names, ids, mentions)
    return Stripped(_tidy(text), tuple(mentions))


def _teams(text: str, bot_names: set[str], bot_ids: set[str], mentions: list[Mention]) -> str:
    def mention(m: re.Match[str]) -> str:
        name = _inner_text(m.group(1))
        if _fold(name) in bot_names:
            return " "
        mentions.append(Mention(None, name))
        return html.escape(name, quote=False)

    return _html_to_text(_TEAMS_AT.sub(mention, text))


def _webex(text: str, bot_names: set[str], bot_ids: set[str], mentions: list[Mention]) -> str:
    def mention(m: re.Match[str]) -> str:
        attributes = {a.lower(): d if d is not None else s for a, d, s in _ATTRIBUTE.findall(m.group(1))}
        name = _inner_text(m.group(2))
        if attributes.get("data-object-type", "").lower() == "groupmention":
            return "@all"
        user_id = attributes.get("data-object-id") or None
        if user_id in bot_ids or _fold(name) in bot_names:
            return " "
        mentions.append(Mention(user_id, name))
        return html.escape(name, quote=False)

    text = _WEBEX_MENTION.sub(mention, text)
    text = _ANY_TAG.sub("", _lines_from_tags(text))
    for pattern in _MARKDOWN:
        text = pattern.sub(r"\1", text)
    return html.unescape(text)


def _slack(text: str, bot_names: set[str], bot_ids: set[str], mentions: list[Mention]) -> str:
    def entity(m: re.Match[str]) -> str:
        target, _, label = m.group(1).partition("|")
        label = _slack_unescape(label)
        if target.startswith("@"):
            user_id = target[1:]
            if user_id in bot_ids:
                return " "
            mentions.append(Mention(user_id, label))
            return "@" + (label or user_id)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or "@" + target[1:].split("^", 1)[0]
        return label or _slack_unescape(target.removeprefix("mailto:"))

    return _slack_unescape(_SLACK_ENTITY.sub(entity, text))


_STRIPPERS: dict[str, Callable[[str, set[str], set[str], list[Mention]], str]] = {
    "teams": _teams,
    "slack": _slack,
    "webex": _webex,
}


def _html_to_text(text: str) -> str:
    """Block tags and `<br>` become line breaks, other tags go, entities are decoded."""
    return html.unescape(_ANY_TAG.sub("", _lines_from_tags(text)))


def _lines_from_tags(text: str) -> str:
    """Each `<br>` becomes a line break; block tags start a new line, with the whitespace around them (and
    any empty blocks) dropped, so that `<p>a</p>\n<p>b</p>` is two lines, not three."""
    blocks = _BLOCK_TAG.sub(_BLOCK, _BR_TAG.sub("\n", text)).split(_BLOCK)
    return "\n".join(block.strip() for block in blocks if block.strip())


def _inner_text(fragment: str) -> str:
    """A mention's label as plain text on one line."""
    return " ".join(html.unescape(fragment).split())


def _slack_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _tidy(text: str) -> str:
    """Spaces collapsed within each line, lines trimmed, at most one blank line in a row, ends stripped."""
    lines = (" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
