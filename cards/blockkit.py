"""Slack Block Kit rendering: a card as message blocks, and a card's form as a `views.open` modal.

Every text is cut to Slack's documented limit with "…". mrkdwn text objects hold user text escaped with
`escape_mrkdwn` and are marked `verbatim` (no auto-parsing of mentions or channel names); `plain_text` is
shown as typed by Slack and is not escaped.

Interactive elements carry JSON values, so the adapter knows what was pressed without any state:
- a button: `{"action": verb, **data}`, e.g. `{"action":"ticket.close","ticket":42,"version":7}`;
- a text Prompt's button adds `"prompt": <input id>`: open a modal for that input (see `render_modal`);
- a choice Prompt is a `static_select` whose options carry `{"action": verb, **data, <input id>: <value>}`;
- body inputs are not shown in a message (only their values); an "Open form" button carries
  `{"action": "form.open", **data}` with the data of the form's submit button (`form_submit`), e.g. the
  draft id, and the adapter answers it with `render_modal` — from the card it sent when it still holds it,
  else from the form the core rebuilds for that data (`verbs.DRAFT_FORM`), so the button works after a restart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import groupby
from typing import Any

from cards.escape import escape_mrkdwn
from cards.fit import fitted_rendering
from cards.model import Action, Button, Card, ChoiceInput, Element, Fact, Facts, Prompt, Text, TextInput
from cards.text import input_display

FORM_OPEN = "form.open"

MAX_MESSAGE_BLOCKS = 50
MAX_MESSAGE_TEXT = 40_000  # Slack truncates a message's text past 40,000 characters
MAX_MODAL_BLOCKS = 100
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ACTION_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_PLACEHOLDER = 150
MAX_LABEL = 2000
MAX_MODAL_TEXT = 24  # modal title, submit and close
MAX_TEXT_INPUT = 3000
MAX_CALLBACK_ID = 255
MAX_PRIVATE_METADATA = 3000

_BUTTON_STYLES = {"positive": "primary", "destructive": "danger"}


def render_blocks(card: Card) -> list[dict[str, Any]]:
    """The card as message blocks: a header, sections (texts, fields), context lines and actions blocks.

    A card that would need more than 50 blocks, a text cut short, or more than 40,000 characters in all is
    first cut to fit (and says so); the per-block limits below stay as a last guard.
    """
    return fitted_rendering(card, _fitting_blocks, _blocks)


def _fitting_blocks(card: Card) -> list[dict[str, Any]] | None:
    """The card's blocks when it shows in full (within the block count, no text over its block's limit, 40,000
    characters in all); None when it does not."""
    texts = [_length(escape_mrkdwn(e.text.strip())) for e in card.body if isinstance(e, Text)]
    facts = [
        _length(escape_mrkdwn(f.title)) + _length(escape_mrkdwn(f.value))
        for e in card.body
        if isinstance(e, Facts)
        for f in e.facts
    ]
    if any(n > MAX_SECTION_TEXT - 10 for n in texts) or any(n > MAX_FIELD_TEXT - 10 for n in facts):
        return None
    if _length(" ".join(card.title.split())) > MAX_HEADER_TEXT:
        return None
    if sum(texts) + sum(facts) > MAX_MESSAGE_TEXT:
        return None
    actions = _action_blocks(card)
    body = _body_blocks(card.body, modal=False)
    if len(body) + 1 + len(actions) > MAX_MESSAGE_BLOCKS:
        return None
    return _assembled(card, body, actions)


def _blocks(card: Card) -> list[dict[str, Any]]:
    actions = _action_blocks(card)
    body = _body_blocks(card.body, modal=False)
    room = MAX_MESSAGE_BLOCKS - 1 - len(actions)
    if len(body) > room:
        body = [*body[: room - 1], _context("…")]
    return _assembled(card, body, actions)


def _assembled(card: Card, body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    header = {"type": "header", "text": _plain(" ".join(card.title.split()), MAX_HEADER_TEXT)}
    return [header, *body, *actions]


def render_modal(card: Card, *, callback_id: str, private_metadata: str) -> dict[str, Any]:
    """The card's body as a `views.open` modal view: texts and facts, and an input block per input.

    Each input block has `block_id` and `action_id` equal to the input id, so that the `view_submission`
    values read `values[<id>][<id>]`. The submit button is titled after the card's positive button (or its
    first button). To ask for one Prompt's input, render `Card(prompt.title, (prompt.input,),
    (Button(prompt.submit_title, prompt.verb, prompt.data),))` and keep the verb and data in
    `private_metadata`.
    """
    if len(callback_id) > MAX_CALLBACK_ID:
        raise ValueError(f"callback_id is longer than {MAX_CALLBACK_ID} characters")
    if _length(private_metadata) > MAX_PRIVATE_METADATA:
        raise ValueError(f"private_metadata is longer than {MAX_PRIVATE_METADATA} characters")
    buttons = [a for a in card.actions if isinstance(a, Button)]
    default = buttons[0].title if buttons else "Submit"
    submit = next((b.title for b in buttons if b.style == "positive"), default)
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "title": _plain(card.title, MAX_MODAL_TEXT),
        "submit": _plain(submit, MAX_MODAL_TEXT),
        "close": _plain("Cancel", MAX_MODAL_TEXT),
        "blocks": _body_blocks(card.body, modal=True)[:MAX_MODAL_BLOCKS],
    }


def _body_blocks(elements: Sequence[Element], *, modal: bool) -> list[dict[str, Any]]:
    """Consecutive texts of one style share a block, and consecutive facts share field sections."""
    blocks: list[dict[str, Any]] = []
    for (kind, style), group in groupby(elements, key=lambda e: _group_key(e, modal)):
        items = list(group)
        if kind == "text":
            blocks.extend(_text_blocks(style, [e.text for e in items if isinstance(e, Text)]))
        elif kind == "facts":
            facts = [f for e in items if not isinstance(e, Text) for f in _facts_of(e)]
            blocks.extend(_field_sections(facts))
        else:
            inputs = (_input_block(e) for e in items if isinstance(e, TextInput | ChoiceInput))
            blocks.extend(b for b in inputs if b is not None)
    return blocks


def _group_key(element: Element, modal: bool) -> tuple[str, str]:
    """("text", style), ("facts", "") or ("input", ""); inputs are facts in a message, inputs in a modal."""
    if isinstance(element, Text):
        return "text", element.style
    if isinstance(element, Facts) or not modal:
        return "facts", ""
    return "input", ""


def _facts_of(element: Facts | TextInput | ChoiceInput) -> tuple[Fact, ...]:
    if isinstance(element, Facts):
        return element.facts
    return (Fact(element.label, input_display(element)),)


def _text_blocks(style: str, texts: Iterable[str]) -> list[dict[str, Any]]:
    """Sections (a context block for subtle text) holding the lines, as few as the text limit allows."""
    blocks: list[dict[str, Any]] = []
    chunk = ""
    for line in (_styled_line(style, t) for t in texts if t.strip()):
        if chunk and _length(chunk) + 1 + _length(line) > MAX_SECTION_TEXT:
            blocks.append(_text_block(style, chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(_text_block(style, chunk))
    return blocks


def _styled_line(style: str, text: str) -> str:
    if style == "heading":
        return f"*{_mrkdwn(' '.join(text.split()), MAX_SECTION_TEXT - 2)}*"
    if style == "warning":
        return f":warning: {_mrkdwn(text, MAX_SECTION_TEXT - 10)}"
    return _mrkdwn(text, MAX_SECTION_TEXT)


def _text_block(style: str, text: str) -> dict[str, Any]:
    if style == "subtle":
        return _context(text)
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def _field_sections(facts: Sequence[Fact]) -> list[dict[str, Any]]:
    """Sections of at most ten `*Title*` + value fields."""
    fields = [_field(f) for f in facts]
    return [
        {"type": "section", "fields": fields[i : i + MAX_FIELDS]} for i in range(0, len(fields), MAX_FIELDS)
    ]


def _field(fact: Fact) -> dict[str, Any]:
    title = f"*{_mrkdwn(fact.title, 100)}*"
    value = _mrkdwn(fact.value, MAX_FIELD_TEXT - _length(title) - 1) or "—"
    return {"type": "mrkdwn", "text": f"{title}\n{value}", "verbatim": True}


def _input_block(element: TextInput | ChoiceInput) -> dict[str, Any] | None:
    """An input block for a modal, or None for a choice input without any choice Slack can carry."""
    if isinstance(element, TextInput):
        max_length = min(element.max_length or MAX_TEXT_INPUT, MAX_TEXT_INPUT)
        field: dict[str, Any] = {
            "type": "plain_text_input", "action_id": element.id, "multiline": element.multiline,
            "max_length": max_length,
        }
        if element.value:
            field["initial_value"] = element.value[:max_length]
        if element.placeholder:
            field["placeholder"] = _plain(element.placeholder, MAX_PLACEHOLDER)
    else:
        pairs = [(c.value, _option(c.title, c.value)) for c in element.choices]
        field = _static_select(element.id, f"Choose {element.label.lower()}", pairs, element.value)
        if not field["options"]:
            return None
    return {
        "type": "input", "block_id": element.id, "label": _plain(element.label, MAX_LABEL),
        "optional": not element.required, "element": field,
    }


def form_submit(card: Card) -> Button | None:
    """The button that submits a card's form: its positive button, else its first one."""
    buttons = [a for a in card.actions if isinstance(a, Button)]
    return next((b for b in buttons if b.style == "positive"), buttons[0] if buttons else None)


def _action_blocks(card: Card) -> list[dict[str, Any]]:
    """Actions blocks of at most 25 elements: "Open form" when the body has inputs, then each action."""
    used: set[str] = set()
    elements: list[dict[str, Any]] = []
    if any(isinstance(e, TextInput | ChoiceInput) for e in card.body):
        submit = form_submit(card)
        elements.append(_button("Open form", FORM_OPEN, submit.data if submit else {}, "default", used))
    for action in card.actions:
        element = _action_element(action, used)
        if element is not None:
            elements.append(element)
    return [
        {"type": "actions", "elements": elements[i : i + MAX_ACTION_ELEMENTS]}
        for i in range(0, len(elements), MAX_ACTION_ELEMENTS)
    ]


def _action_element(action: Action, used: set[str]) -> dict[str, Any] | None:
    if isinstance(action, Button):
        return _button(action.title, action.verb, action.data, action.style, used)
    if isinstance(action.input, TextInput):
        return _button(action.title, action.verb, {**action.data, "prompt": action.input.id}, "default", used)
    return _choice_prompt(action, action.input, used)


def _button(title: str, verb: str, data: Mapping[str, Any], style: str, used: set[str]) -> dict[str, Any]:
    value = _json({"action": verb, **data})
    if _length(value) > MAX_BUTTON_VALUE:
        raise ValueError(f"the data of {verb!r} is longer than Slack's {MAX_BUTTON_VALUE} characters")
    button = {
        "type": "button", "text": _plain(title, MAX_BUTTON_TEXT), "action_id": _action_id(verb, data, used),
        "value": value,
    }
    if style in _BUTTON_STYLES:
        button["style"] = _BUTTON_STYLES[style]
    return button


def _choice_prompt(prompt: Prompt, choice: ChoiceInput, used: set[str]) -> dict[str, Any] | None:
    """A static select whose options carry the verb, the data and the choice; None when none fits Slack."""
    data = {"action": prompt.verb, **prompt.data}
    pairs = [(c.value, _option(c.title, _json({**data, choice.id: c.value}))) for c in choice.choices]
    action_id = _action_id(prompt.verb, prompt.data, used)
    select = _static_select(action_id, prompt.title, pairs, choice.value)
    return select if select["options"] else None


def _option(title: str, value: str) -> dict[str, Any]:
    return {"text": _plain(title, MAX_OPTION_TEXT), "value": value}


def _static_select(
    action_id: str, placeholder: str, pairs: Sequence[tuple[str, dict[str, Any]]], current: str | None
) -> dict[str, Any]:
    """A static select of the options whose value fits Slack's limit, preselecting `current`'s option."""
    pairs = [(v, o) for v, o in pairs if _length(o["value"]) <= MAX_OPTION_VALUE][:MAX_OPTIONS]
    select: dict[str, Any] = {
        "type": "static_select", "action_id": action_id, "placeholder": _plain(placeholder, MAX_PLACEHOLDER),
        "options": [o for _, o in pairs],
    }
    initial = next((o for v, o in pairs if v == current), None)
    if initial is not None:
        select["initial_option"] = initial
    return select


def _action_id(verb: str, data: Mapping[str, Any], used: set[str]) -> str:
    """`verb:ticket` (or the verb alone), made unique in the message with a `:2`, `:3`… suffix."""
    base = (f"{verb}:{data['ticket']}" if "ticket" in data else verb)[: MAX_ACTION_ID - 8]
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}:{n}", n + 1
    used.add(candidate)
    return candidate


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _fit(text.strip() or "—", limit), "emoji": True}


def _mrkdwn(text: str, limit: int) -> str:
    return _fit(text.strip(), limit, escape_mrkdwn)


def _fit(text: str, limit: int, escape: Callable[[str], str] = str) -> str:
    """`escape(text)`, cut at the end with "…" where needed so that it is at most `limit` long."""
    whole = escape(text)
    if _length(whole) <= limit:
        return whole
    low, high = 0, len(text)
    while low < high:  # the longest prefix of `text` that fits once escaped and followed by "…"
        middle = (low + high + 1) // 2
        if _length(escape(text[:middle].rstrip()) + "…") <= limit:
            low = middle
        else:
            high = middle - 1
    return escape(text[:low].rstrip()) + "…"


def _length(text: str) -> int:
    """The length in UTF-16 code units: never less than the character count, whichever way Slack counts."""
    return len(text.encode("utf-16-le")) // 2
