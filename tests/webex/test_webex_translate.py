"""The pure parts of the Webex adapter: fetched messages as events (mentions, files, threads), the five-action
split, and the cut at Webex's text limit."""

from __future__ import annotations

import pytest

from adapters.webex.render import MAX_TEXT_BYTES, fit, message_bodies
from adapters.webex.translate import message_event
from bot.seam import Actor, Attachment, OutboundMessage
from cards.adaptive import WEBEX_MAX_ACTIONS, render_webex
from cards.model import Button, Card, Choice, ChoiceInput, Prompt
from tests.fakes.webex_api import BOT, BOT_ID
from tests.webex.helpers import check_card

MEGAN = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9tZWdhbg"
SENDER = Actor("webex", "SENDER", "Sam", "sam@example.com")


def _message(**fields):
    return {"id": "M1", "roomId": "R1", "roomType": "group", "personId": "SENDER", **fields}


def test_the_bot_mention_goes_and_other_mentions_are_listed():
    html = (f'<p><spark-mention data-object-type="person" data-object-id="{BOT_ID}">Ticketbot</spark-mention> '
            f'assign 4 to <spark-mention data-object-type="person" data-object-id="{MEGAN}">Megan</spark-mention>'
            "</p>")
    event = message_event(_message(html=html, mentionedPeople=[BOT_ID, MEGAN]), SENDER, key="M1", bot=BOT)
    assert event.text == "assign 4 to Megan"
    assert event.mentions == (Actor("webex", MEGAN, "Megan"),)
    assert event.idempotency_key == "M1" and event.conversation.scope == "group"


def test_an_all_mention_is_not_a_person():
    html = '<spark-mention data-object-type="groupMention" data-group-type="all">All</spark-mention> hi'
    event = message_event(_message(html=html), SENDER, key="M1", bot=BOT)
    assert event.mentions == () and event.text == "@all hi"


def test_markdown_in_the_html_is_plain_text_for_the_parser():
    html = "<p><strong>Title:</strong> Printer</p><p>Priority: high</p>"
    event = message_event(_message(roomType="direct", html=html), SENDER, key="M1", bot=BOT)
    assert event.text == "Title: Printer\nPriority: high"
    assert event.conversation.scope == "personal" and event.conversation.data["person_id"] == "SENDER"


def test_files_become_attachments_named_by_their_url():
    files = ["https://webexapis.com/v1/contents/Y2lz/error%20log.txt", "https://webexapis.com/v1/contents/Y3a"]
    event = message_event(_message(roomType="direct", text="see file", files=files), SENDER, key="M1", bot=BOT)
    assert event.attachments == (Attachment("error log.txt", url=files[0]), Attachment("Y3a", url=files[1]))


def test_a_thread_reply_keeps_its_thread():
    event = message_event(_message(roomType="direct", text="hi", parentId="ROOT"), SENDER, key="M1", bot=BOT)
    assert event.conversation.thread_id == "ROOT"


def _buttons(count: int) -> tuple[Button, ...]:
    return tuple(Button(f"B{i}", "ticket.show", {"ticket": i}) for i in range(count))


@pytest.mark.parametrize(("actions", "cards"), [(0, 1), (5, 1), (6, 2), (10, 2), (11, 3)])
def test_cards_hold_at_most_five_actions(actions, cards):
    rendered = render_webex(Card("T", (), _buttons(actions)))
    assert len(rendered) == cards
    assert sum(len(card.get("actions", [])) for card, _ in rendered) == actions
    for card, markdown in rendered:
        check_card(card)
        assert len(card.get("actions", [])) <= WEBEX_MAX_ACTIONS and markdown.startswith("**T")


def test_a_prompt_becomes_a_show_card_with_a_submit():
    prompt = Prompt("Priority", "ticket.priority",
                    ChoiceInput("priority", "Priority", (Choice("High", "high"), Choice("Low", "low"))), {"ticket": 1})
    [(card, _)] = render_webex(Card("T", (), (prompt,)))
    check_card(card)
    [show] = card["actions"]
    assert show["type"] == "Action.ShowCard"
    assert show["card"]["actions"] == [{"type": "Action.Submit", "title": "Save",
                                        "data": {"action": "ticket.priority", "ticket": 1}}]


def test_a_card_message_always_carries_its_markdown_fallback():
    [body] = message_bodies(OutboundMessage("summary", Card("#1 *Bold* title")))
    assert body["markdown"] == r"**#1 \*Bold\* title**"
    assert body["attachments"][0]["content"]["version"] == "1.3"


def test_text_within_the_limit_is_unchanged():
    text = "é" * (MAX_TEXT_BYTES // 2)
    assert fit(text) == text


@pytest.mark.parametrize("unit", ["a ", "é", "😀", "line\n", "x\\*"])
def test_text_over_the_limit_fits_and_ends_cleanly(unit):
    text = unit * MAX_TEXT_BYTES
    cut = fit(text)
    assert len(cut.encode("utf-8")) <= MAX_TEXT_BYTES
    kept = cut.removesuffix(" …")
    assert cut.endswith(" …") and text.startswith(kept)
    assert (len(kept) - len(kept.rstrip("\\"))) % 2 == 0  # no dangling escape
