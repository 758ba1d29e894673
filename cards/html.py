"""HTML rendering of the platform-neutral card: the web chat shows it, and any HTML surface may reuse it.

`render_html(card)` returns one `<section class="card">` fragment with no inline style and no script: the page's
stylesheet styles the `card-*` classes. Every user-visible string (title, texts, fact titles and values, labels,
values, placeholders, choices, action titles) and every attribute value goes through `escape_html`, so user
text shows as typed and cannot add an element, an attribute or an event handler.

Actions are `<button type="button">` elements carrying the verb in `data-verb` and the action's data as JSON in
`data-values`; a page posts both with the values of the inputs (named by their `name` attribute). A `Button`
sends the inputs of the card body; a `Prompt` is a `<details class="card-prompt">` holding its own input and a
submit button, which sends that input only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cards.escape import escape_html
from cards.model import Action, Button, Card, ChoiceInput, Element, Facts, Prompt, Text, TextInput
from cards.text import input_display

EMPTY_VALUE = "—"


def render_html(card: Card) -> str:
    """The card as an HTML fragment (see the module docstring for its structure)."""
    parts = [f'<section class="card"><h3 class="card-title">{escape_html(card.title)}</h3>']
    parts.extend(_element(e) for e in card.body)
    if card.actions:
        parts.append('<div class="card-actions">')
        parts.extend(_action(a) for a in card.actions)
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _attributes(**values: str | int | bool | None) -> str:
    """` name="value"` pairs, escaped; True gives a bare attribute, False and None leave it out."""
    rendered = []
    for name, value in values.items():
        attribute = name.rstrip("_").replace("_", "-")
        if value is True:
            rendered.append(f" {attribute}")
        elif value is not None and value is not False:
            rendered.append(f' {attribute}="{escape_html(str(value))}"')
    return "".join(rendered)


def _element(element: Element) -> str:
    if isinstance(element, Text):
        if not element.text.strip():
            return ""
        return f'<p class="card-text card-text-{escape_html(element.style)}">{escape_html(element.text)}</p>'
    if isinstance(element, Facts):
        if not element.facts:
            return ""
        facts = "".join(
            f'<div class="card-fact"><dt>{escape_html(f.title)}</dt>'
            f"<dd>{escape_html(f.value or EMPTY_VALUE)}</dd></div>"
            for f in element.facts
        )
        return f'<dl class="card-facts">{facts}</dl>'
    return _field(element)


def _field(element: TextInput | ChoiceInput) -> str:
    label = f'<span class="card-label">{escape_html(element.label)}</span>'
    control = _text_control(element) if isinstance(element, TextInput) else _choice_control(element)
    return f'<label class="card-field">{label}{control}</label>'


def _text_control(element: TextInput) -> str:
    common = _attributes(
        name=element.id,
        placeholder=element.placeholder or None,
        maxlength=element.max_length,
        required=element.required,
        aria_label=element.label,
    )
    if element.multiline:
        return f'<textarea class="card-input" rows="3"{common}>{escape_html(element.value)}</textarea>'
    return f'<input class="card-input" type="text"{common}{_attributes(value=element.value)}>'


def _choice_control(element: ChoiceInput) -> str:
    options = []
    if element.value is None or all(c.value != element.value for c in element.choices):
        options.append(f'<option value="" selected>{escape_html(input_display(element))}</option>')
    options.extend(
        f"<option{_attributes(value=c.value, selected=c.value == element.value)}>{escape_html(c.title)}</option>"
        for c in element.choices
    )
    attributes = _attributes(name=element.id, required=element.required, aria_label=element.label)
    return f'<select class="card-input"{attributes}>{"".join(options)}</select>'


def _button(title: str, verb: str, data: Mapping[str, Any], style: str = "default") -> str:
    values = json.dumps(dict(data), separators=(",", ":"), sort_keys=True, default=str)
    attributes = _attributes(
        type="button", class_=f"card-button card-button-{style}", data_verb=verb, data_values=values
    )
    return f"<button{attributes}>{escape_html(title)}</button>"


def _action(action: Action) -> str:
    if isinstance(action, Button):
        return _button(action.title, action.verb, action.data, action.style)
    return _prompt(action)


def _prompt(prompt: Prompt) -> str:
    return (
        f'<details class="card-prompt"><summary class="card-button">{escape_html(prompt.title)}</summary>'
        f'<div class="card-prompt-body">{_field(prompt.input)}'
        f"{_button(prompt.submit_title, prompt.verb, prompt.data, 'positive')}</div></details>"
    )
