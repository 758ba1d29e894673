"""Adaptive Card rendering: Teams (1.5, `Action.Execute`) and Webex (1.3, `Action.Submit`, markdown fallback).

Every action's `data` starts with `"action": <verb>` followed by the action's own data (ticket, version), in
both styles, so that a Submit from an older client still says what was pressed. User text in TextBlocks and
FactSets (both markdown) is escaped with `escape_markdown`; input labels, values, choices and action titles
are plain text to the clients and are passed as they are. Webex takes at most `WEBEX_MAX_ACTIONS` actions per
card, so `render_webex` continues a card with more in further cards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cards.escape import escape_markdown
from cards.fit import fitted, fitted_rendering
from cards.model import Action, Button, Card, ChoiceInput, Element, Facts, Prompt, Text, TextInput
from cards.text import input_display

SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
# Teams refuses a bot message over 40 KB (UTF-16, the whole activity) and its Workflows connector one over
# about 28 KB: a card stays within 28 KB measured in UTF-16, leaving room for the rest of the activity.
MAX_CARD_BYTES = 28 * 1024
# Webex refuses a message whose text or markdown is over 7,439 bytes.
MAX_WEBEX_TEXT_BYTES = 7439
ACTION_STYLES = ("execute", "submit")
WEBEX_VERSION = "1.3"
WEBEX_MAX_ACTIONS = 5  # Webex rejects a card with more top-level actions

_TEXT_STYLES: dict[str, dict[str, Any]] = {
    "heading": {"weight": "bolder"},
    "subtle": {"isSubtle": True},
    "warning": {"color": "warning"},
}


def render_adaptive(card: Card, *, version: str = "1.5", action_style: str = "execute") -> dict[str, Any]:
    """The card as Adaptive Card JSON.

    Teams: `version="1.5", action_style="execute"` (`Action.Execute` with `verb` and `data`).
    Webex: `version="1.3", action_style="submit"` (`Action.Submit` with `data`).
    A Prompt becomes an `Action.ShowCard` holding its input and one Execute/Submit action.
    A card over `MAX_CARD_BYTES` is cut to fit and says so.
    """
    if action_style not in ACTION_STYLES:
        raise ValueError(f"action_style must be one of {ACTION_STYLES}, not {action_style!r}")

    def render(candidate: Card) -> dict[str, Any]:
        return _render(candidate, version, action_style)

    def rendered_if_fits(candidate: Card) -> dict[str, Any] | None:
        rendered = render(candidate)
        return rendered if card_bytes(rendered) <= MAX_CARD_BYTES else None

    return fitted_rendering(card, rendered_if_fits, render)


def card_bytes(rendered: dict[str, Any]) -> int:
    """A rendered card's size as Teams counts it: its JSON in UTF-16."""
    return len(json.dumps(rendered, ensure_ascii=False).encode("utf-16-le"))


def _render(card: Card, version: str, action_style: str) -> dict[str, Any]:
    title = _text_block(card.title, weight="bolder", size="medium")
    rendered: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": version,
        "body": [title, *(e for e in map(_element, card.body) if e is not None)],
    }
    if card.actions:
        rendered["actions"] = [_action(a, action_style) for a in card.actions]
    return rendered


def render_webex(card: Card) -> list[tuple[dict[str, Any], str]]:
    """The card as Webex messages: (Adaptive Card 1.3 with `Action.Submit`, its markdown fallback) pairs, each
    card with at most `WEBEX_MAX_ACTIONS` actions.

    A card with more actions is continued in further cards ("<title> (more)") holding the rest, in order; the
    first card keeps the body, so the actions that send body inputs should come first (the builders' order).
    """
    chunks = [card.actions[i : i + WEBEX_MAX_ACTIONS] for i in range(0, len(card.actions), WEBEX_MAX_ACTIONS)]
    parts = [card]
    if len(chunks) > 1:
        parts = [Card(card.title, card.body, chunks[0])]
        parts.extend(Card(f"{card.title} (more)", (), chunk) for chunk in chunks[1:])
    return [
        (render_adaptive(part, version=WEBEX_VERSION, action_style="submit"), render_webex_markdown(part))
        for part in parts
    ]


def render_webex_markdown(card: Card) -> str:
    """The markdown Webex shows where cards are not supported: bold title, texts, `**Label:** value` lines;
    at most `MAX_WEBEX_TEXT_BYTES` in UTF-8."""
    shown = fitted(card, lambda c: len(_webex_markdown(c).encode()) <= MAX_WEBEX_TEXT_BYTES)
    return _webex_markdown(shown)


def _webex_markdown(card: Card) -> str:
    lines = [f"**{_markdown(card.title.strip())}**"]
    for element in card.body:
        if isinstance(element, Text) and element.text.strip():
            text = _markdown(element.text.strip())
            lines.append(f"**{text}**" if element.style == "heading" else text)
        elif isinstance(element, Facts):
            lines.extend(f"**{_markdown(f.title)}:** {_markdown(f.value)}" for f in element.facts)
        elif isinstance(element, TextInput | ChoiceInput):
            lines.append(f"**{_markdown(element.label)}:** {_markdown(input_display(element))}")
    return "\n\n".join(lines)


def _markdown(text: str) -> str:
    """Escaped user text, each line a paragraph of its own (a single newline is no break in markdown)."""
    return "\n\n".join(escape_markdown(line) for line in text.splitlines() if line.strip())


def _text_block(text: str, **attributes: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": _markdown(text), "wrap": True, **attributes}


def _element(element: Element) -> dict[str, Any] | None:
    """The body element, or None for one that would show nothing (an empty text or fact list)."""
    if isinstance(element, Text):
        if not element.text.strip():
            return None
        return _text_block(element.text, **_TEXT_STYLES.get(element.style, {}))
    if isinstance(element, Facts):
        if not element.facts:
            return None
        facts = [{"title": _markdown(f.title), "value": _markdown(f.value) or "—"} for f in element.facts]
        return {"type": "FactSet", "facts": facts}
    return _input(element)


def _input(element: TextInput | ChoiceInput) -> dict[str, Any]:
    return _text_input(element) if isinstance(element, TextInput) else _choice_input(element)


def _text_input(element: TextInput) -> dict[str, Any]:
    rendered: dict[str, Any] = {"type": "Input.Text", "id": element.id, "label": element.label}
    if element.multiline:
        rendered["isMultiline"] = True
    if element.max_length is not None:
        rendered["maxLength"] = element.max_length
    if element.placeholder:
        rendered["placeholder"] = element.placeholder
    if element.value:
        rendered["value"] = element.value
    return rendered | _required(element)


def _choice_input(element: ChoiceInput) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": element.id,
        "label": element.label,
        "style": "compact",
        "choices": [{"title": c.title, "value": c.value} for c in element.choices],
    }
    if element.value is not None:
        rendered["value"] = element.value
    return rendered | _required(element)


def _required(element: TextInput | ChoiceInput) -> dict[str, Any]:
    if not element.required:
        return {}
    return {"isRequired": True, "errorMessage": f"{element.label} is required."}


def _action(action: Action, action_style: str) -> dict[str, Any]:
    if isinstance(action, Button):
        rendered = _run(action.title, action.verb, action.data, action_style)
        if action.style != "default":
            rendered["style"] = action.style
        return rendered
    return _show_card(action, action_style)


def _show_card(prompt: Prompt, action_style: str) -> dict[str, Any]:
    return {
        "type": "Action.ShowCard",
        "title": prompt.title,
        "card": {
            "type": "AdaptiveCard",
            "body": [_input(prompt.input)],
            "actions": [_run(prompt.submit_title, prompt.verb, prompt.data, action_style)],
        },
    }


def _run(title: str, verb: str, data: Mapping[str, Any], action_style: str) -> dict[str, Any]:
    """An Execute or Submit action; its data always names the verb under "action"."""
    payload = {"action": verb, **data}
    if action_style == "execute":
        return {"type": "Action.Execute", "title": title, "verb": verb, "data": payload}
    return {"type": "Action.Submit", "title": title, "data": payload}
