"""The command and action tables are complete: every intent the parser can return and every verb a card can
carry has a handler, and no handler waits for something that cannot arrive."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.chat.actions import ACTIONS
from bot.chat.commands import COMMANDS
from bot.chat.parser import INTENTS, parse
from bot.chat.vocabulary import COMMANDS as VOCABULARY
from bot.chat.vocabulary import help_entries
from bot.desk.principal import Principal
from cards import builders, verbs
from cards.views import DraftView, TicketView
from tests.test_parser import CASES

NOW = datetime(2026, 12, 1, tzinfo=UTC)
TICKET = TicketView(
    number=1, title="t", description="", status="New", is_closed=False, priority="high", board="IT",
    assignees=(), requester="r", category=None, version=1, created_at=NOW, updated_at=NOW, latest_note=None,
    statuses=("New", "Done"),
)


def test_every_intent_has_a_handler_and_every_handler_an_intent():
    assert set(COMMANDS) == set(INTENTS)
    assert {c.intent for c in VOCABULARY} <= set(INTENTS)


def test_the_parser_returns_only_known_intents():
    for text, *_ in CASES:
        assert parse(text).name in INTENTS, text


def test_every_verb_a_card_can_carry_has_a_handler():
    cards = [
        builders.ticket_card(TICKET, now=NOW),
        builders.ticket_card(TICKET.__class__(**{**TICKET.__dict__, "is_closed": True}), now=NOW),
        builders.create_form(DraftView("t", "", "high", "IT", None, ("IT",), (), draft_id="d:u")),
        builders.list_card("l", [TICKET], empty_text="-", next_page={"list": "mine", "value": "", "offset": 10}),
        builders.question_card("q", "Which?", ("a", "b")),
        builders.help_card(help_entries(Principal("a", member_id=1, is_admin=True))),
    ]
    carried = {action.verb for card in cards for action in card.actions}
    # DRAFT_FORM is what Slack's "Open form" button (cards.blockkit) asks the core for, not a card's verb.
    assert carried | {verbs.DRAFT_FORM} == set(verbs.ALL)
    assert set(ACTIONS) | {verbs.ANSWER} == set(verbs.ALL)
