"""Every renderer keeps a 900 KB message under its platform's documented size, cuts text cleanly at a word,
and says on the card that it was cut; a card exactly at the limit is left whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator

from cards.adaptive import MAX_CARD_BYTES, MAX_WEBEX_TEXT_BYTES, card_bytes, render_adaptive, render_webex_markdown
from cards.blockkit import MAX_MESSAGE_BLOCKS, MAX_MESSAGE_TEXT, MAX_SECTION_TEXT, render_blocks
from cards.fit import CUT_NOTICE
from cards.model import Button, Card, Fact, Facts, Text

SCHEMA = json.loads((Path(__file__).resolve().parent / "schemas" / "adaptive-card.v1.5.json").read_text())
NINE_HUNDRED_KB = "printer " * (900 * 1024 // 8)
STARS = "*" * (900 * 1024)  # doubles when escaped
PLATFORMS = {
    "teams": {"version": "1.5", "action_style": "execute"},
    "webex": {"version": "1.3", "action_style": "submit"},
}


def huge_cards() -> list[Card]:
    close = (Button("Close", "ticket.close", {"ticket": 1, "version": 1}),)
    return [
        Card("Ticket #1", (Text(NINE_HUNDRED_KB),), close),
        Card("Ticket #1", (Facts((Fact("Description", STARS),)), Text("after")), close),
        Card("Many", tuple(Text(f"line {i} " * 40) for i in range(3000)), close),
        Card("T" * 900_000, (Text("x"),)),
    ]


def texts(node: Any) -> list[str]:
    """Every text shown in a rendered card or blocks (texts, fact titles and values), in order."""
    if isinstance(node, dict):
        shown = ("text", "title", "value")
        return [t for k, v in node.items() for t in ([v] if k in shown and isinstance(v, str) else texts(v))]
    if isinstance(node, list):
        return [t for item in node for t in texts(item)]
    return []


@pytest.mark.parametrize("card", huge_cards(), ids=["one-text", "escaped-fact", "many-texts", "title"])
@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_adaptive_cards_stay_under_the_limit_and_say_they_were_cut(card, platform):
    rendered = render_adaptive(card, **PLATFORMS[platform])
    assert card_bytes(rendered) <= MAX_CARD_BYTES
    assert list(Draft6Validator(SCHEMA).iter_errors(rendered)) == []
    shown = texts(rendered)
    assert any(CUT_NOTICE in t for t in shown)
    assert any(t.endswith("…") for t in shown)
    buttons_alone = render_adaptive(Card("x", (), card.actions), **PLATFORMS[platform])
    assert rendered.get("actions", []) == buttons_alone.get("actions", [])  # the buttons are never cut


def test_text_is_cut_at_a_word():
    [_, first, _, _] = texts(render_adaptive(huge_cards()[0]))  # title, the text, the notice, the button
    assert first.endswith("printer…")


@pytest.mark.parametrize("card", huge_cards(), ids=["one-text", "escaped-fact", "many-texts", "title"])
def test_webex_markdown_stays_under_its_byte_limit(card):
    markdown = render_webex_markdown(card)
    assert len(markdown.encode()) <= MAX_WEBEX_TEXT_BYTES
    assert CUT_NOTICE in markdown


@pytest.mark.parametrize("card", huge_cards(), ids=["one-text", "escaped-fact", "many-texts", "title"])
def test_block_kit_stays_under_slacks_limits(card):
    blocks = render_blocks(card)
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    shown = texts(blocks)
    assert all(len(t) <= MAX_SECTION_TEXT for t in shown)
    assert sum(len(t) for t in shown) <= MAX_MESSAGE_TEXT
    assert any(CUT_NOTICE in t for t in shown)


def largest_whole(make: Any, size: Any, limit: int) -> int:
    """The longest text length n for which the card made by make(n) still fits."""
    low, high = 1, 100_000
    while low < high:
        middle = (low + high + 1) // 2
        if size(make(middle)) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def test_a_card_at_the_limit_is_left_whole_and_one_more_character_is_cut():
    def make(n: int) -> Card:
        return Card("At the limit", (Text("a" * n),))

    def unfitted_size(card: Card) -> int:
        body = [{"type": "TextBlock", "text": "At the limit", "wrap": True, "weight": "bolder", "size": "medium"},
                {"type": "TextBlock", "text": card.body[0].text, "wrap": True}]
        return card_bytes({"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                           "version": "1.5", "body": body})

    n = largest_whole(make, unfitted_size, MAX_CARD_BYTES)
    whole = render_adaptive(make(n))
    assert card_bytes(whole) == unfitted_size(make(n)) and CUT_NOTICE not in json.dumps(whole)
    cut = render_adaptive(make(n + 1))
    assert card_bytes(cut) <= MAX_CARD_BYTES and CUT_NOTICE in json.dumps(cut)


def test_webex_markdown_at_the_limit_is_left_whole():
    def make(n: int) -> Card:
        return Card("T", (Text("a" * n),))

    n = largest_whole(make, lambda c: len(render_webex_markdown(c).encode()) if CUT_NOTICE not in
                      render_webex_markdown(c) else MAX_WEBEX_TEXT_BYTES + 1, MAX_WEBEX_TEXT_BYTES)
    assert len(render_webex_markdown(make(n)).encode()) == MAX_WEBEX_TEXT_BYTES
    assert CUT_NOTICE in render_webex_markdown(make(n + 1))
