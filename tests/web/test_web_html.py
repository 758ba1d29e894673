"""`cards.html.render_html`: the card's structure, its action data, and hostile user text in every field."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from cards.html import render_html
from cards.model import Button, Card, Choice, ChoiceInput, Fact, Facts, Prompt, Text, TextInput

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)> " \' & **bold** @channel <!here> <at>x</at>'
ALLOWED_TAGS = {"section", "h3", "p", "dl", "div", "dt", "dd", "label", "span", "input", "textarea", "select",
                "option", "button", "details", "summary"}


class Parsed(HTMLParser):
    """Every start tag with its attributes, and the text of the document."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _hostile_card() -> Card:
    return Card(
        title=HOSTILE,
        body=(
            Text(HOSTILE, "heading"),
            Facts((Fact(HOSTILE, HOSTILE), Fact("Empty", ""))),
            TextInput("title", HOSTILE, value=HOSTILE, placeholder=HOSTILE, required=True, max_length=200),
            TextInput("description", "Description", value=HOSTILE, multiline=True),
            ChoiceInput("board", "Board", (Choice(HOSTILE, HOSTILE), Choice("IT", "it")), value=HOSTILE),
        ),
        actions=(
            Button(HOSTILE, "ticket.create", {"title": HOSTILE, "ticket": 3}, style="positive"),
            Prompt(HOSTILE, "ticket.note", TextInput("note", "Note"), {"ticket": 3, "version": 2}, HOSTILE),
        ),
    )


def test_hostile_text_in_every_field_stays_text():
    parsed = Parsed(render_html(_hostile_card()))
    assert {tag for tag, _ in parsed.tags} <= ALLOWED_TAGS
    assert all(not name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    # title, text, fact title and value, label, textarea, option, button, prompt summary and submit
    assert sum(chunk == HOSTILE for chunk in parsed.text) == 10
    inputs = {attrs["name"]: attrs for tag, attrs in parsed.tags if tag == "input"}
    assert inputs["title"]["value"] == HOSTILE and inputs["title"]["placeholder"] == HOSTILE
    assert inputs["title"]["aria-label"] == HOSTILE and "required" in inputs["title"]
    assert inputs["title"]["maxlength"] == "200"
    button = next(attrs for tag, attrs in parsed.tags if tag == "button")
    assert json.loads(button["data-values"]) == {"title": HOSTILE, "ticket": 3}


def test_buttons_carry_their_verb_and_data_and_prompts_hold_their_input():
    parsed = Parsed(render_html(_hostile_card()))
    buttons = [attrs for tag, attrs in parsed.tags if tag == "button"]
    assert [(b["data-verb"], b["class"]) for b in buttons] == [
        ("ticket.create", "card-button card-button-positive"),
        ("ticket.note", "card-button card-button-positive"),
    ]
    assert json.loads(buttons[1]["data-values"]) == {"ticket": 3, "version": 2}
    html = render_html(_hostile_card())
    prompt = html[html.index('<details class="card-prompt">'):]
    assert 'name="note"' in prompt and 'name="title"' not in prompt
    assert "<dd>—</dd>" in html  # an empty fact shows a dash


def test_a_choice_without_a_value_offers_an_empty_first_option():
    card = Card("Pick", body=(ChoiceInput("priority", "Priority", (Choice("Low", "low"),), required=True),))
    options = [attrs for tag, attrs in Parsed(render_html(card)).tags if tag == "option"]
    assert options == [{"value": "", "selected": None}, {"value": "low"}]

