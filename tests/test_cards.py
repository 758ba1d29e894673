"""Cards: the builders' content, the Adaptive Card, Block Kit and text renderers, and user-text escaping.

Every builder's card, for tickets with extreme values, must validate against the official Adaptive Card
schema (Teams 1.5 Execute, Webex 1.3 Submit), stay within Slack's Block Kit limits, and never let user text
ping anyone or add markup.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator

from bot.chat.vocabulary import COMMANDS, help_entries
from bot.desk.principal import Principal
from bot.facts import NOTE_MAX
from cards.adaptive import render_adaptive, render_webex_markdown
from cards.blockkit import render_blocks, render_modal
from cards.builders import (
    create_form,
    help_card,
    list_card,
    notification_card,
    ticket_card,
    welcome_card,
)
from cards.escape import escape_markdown, escape_mrkdwn
from cards.fit import CUT_NOTICE
from cards.model import Button, Card, Choice, ChoiceInput, Fact, Facts, Prompt, Text, TextInput
from cards.text import render_text
from cards.views import Change, DraftView, EventView, NoteView, TicketView

AC_SCHEMA = Path(__file__).resolve().parent / "schemas" / "adaptive-card.v1.5.json"

NEXT_PAGE = {"list": "mine", "value": "", "offset": 10}
ADMIN = Principal("Ada", member_id=1, is_admin=True)
MEMBER = Principal("Bob", member_id=2)
GUEST = Principal("Gus", identity_id=3)
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EVIL = (
    "<!channel> <!here> @all @here <at>x</at> <@U123> <@personEmail:a@b.c> "
    "**bold** _it_ [x](http://evil) `c`"
)
EVIL_LINES = "# Heading\n> quote\n- item\n1. first\n    indented code\n---\n" + EVIL
LIVE_SEQUENCES = ("<!channel>", "<!here>", "@all", "@here", "<at>", "<@", "[x](")

TEAMS = {"version": "1.5", "action_style": "execute"}
WEBEX = {"version": "1.3", "action_style": "submit"}
TICKET_VERBS = {"ticket.assign_me", "ticket.status", "ticket.priority", "ticket.note", "ticket.close"}

# ---------------------------------------------------------------------------------------------- test data


def make_note(text: str = "Spooler restarted.", *, author: str = "Bob", internal: bool = False) -> NoteView:
    return NoteView("n1", author, text, internal, created_at=NOW - timedelta(minutes=3))


BASE = TicketView(
    number=42,
    title="Printer jammed",
    description="The printer on floor 3 shows E13.",
    status="New",
    is_closed=False,
    priority="high",
    board="IT",
    assignees=("Alice",),
    requester="Carol",
    category="Hardware",
    version=7,
    created_at=NOW - timedelta(hours=3),
    updated_at=NOW,
    latest_note=make_note(),
    statuses=("New", "In Progress", "Waiting", "Resolved", "Closed"),
)

TICKETS = {
    "plain": BASE,
    "bare": replace(BASE, description="", assignees=(), category=None, latest_note=None, requester=""),
    "long": replace(
        BASE,
        title="Ü" + "x" * 199,
        description=("A very long description line. " * 400).strip(),
        assignees=tuple(f"Technician Number {i} With A Long Name" for i in range(12)),
        latest_note=make_note("word " * 1200, internal=True),
        status="Closed",
        is_closed=True,
    ),
    "emoji_cjk": replace(
        BASE,
        title="打印机卡纸了 🖨️🔥 — 프린터 고장",
        description="エラー E13 が表示されます 😱\n第二行",
        requester="王小明 👩‍💻",
        latest_note=make_note("已重启 🙏", author="佐藤"),
    ),
    "evil": replace(
        BASE,
        title=EVIL,
        description=EVIL_LINES,
        requester=EVIL,
        assignees=(EVIL, "Alice"),
        latest_note=make_note(EVIL_LINES, author=EVIL),
    ),
    "no_statuses": replace(BASE, statuses=()),
}

DRAFT = DraftView(
    title="Printer jammed",
    description="It shows E13.",
    priority="high",
    board="IT",
    category="Hardware",
    boards=("IT", "Facilities"),
    categories=("Hardware", "Software"),
)


def make_event(t: TicketView, kind: str = "updated", note: NoteView | None = None) -> EventView:
    changes = (Change("status", "New", "In Progress"), Change("assignees", None, "Alice, Bob"))
    return EventView(t, kind, actor="Alice", changes=changes if kind == "updated" else (), note=note)


def all_cards() -> Iterator[Any]:
    """Every builder's card over the extreme tickets and drafts, as pytest params."""
    notice = "This card was out of date."
    for name, t in TICKETS.items():
        yield pytest.param(ticket_card(t, now=NOW), id=f"ticket-{name}")
        yield pytest.param(ticket_card(t, now=NOW, notice=notice), id=f"ticket-notice-{name}")
        yield pytest.param(notification_card(make_event(t, "created"), now=NOW), id=f"created-{name}")
        updated = make_event(t, note=t.latest_note)
        yield pytest.param(notification_card(updated, now=NOW), id=f"updated-{name}")
    many = [replace(t, number=100 + i) for i, t in enumerate(list(TICKETS.values()) * 2)]
    yield pytest.param(list_card("My tickets", many, empty_text="None", next_page=NEXT_PAGE), id="list-many")
    yield pytest.param(list_card("Search: printer", [], empty_text="No ticket matches."), id="list-empty")
    yield pytest.param(create_form(DRAFT), id="form")
    bare = replace(DRAFT, categories=(), category=None)
    yield pytest.param(create_form(bare, notice="Pick a board."), id="form-bare")
    long = replace(DRAFT, title="t" * 300, description=EVIL_LINES * 50)
    yield pytest.param(create_form(long), id="form-long")
    evil = replace(DRAFT, title=EVIL, board=EVIL, boards=(EVIL, "IT"))
    yield pytest.param(create_form(evil), id="form-evil")
    yield pytest.param(help_card(help_entries(ADMIN)), id="help-admin")
    yield pytest.param(help_card(help_entries(MEMBER)), id="help")
    yield pytest.param(welcome_card("Ticketbot"), id="welcome")
    yield pytest.param(welcome_card(EVIL), id="welcome-evil")


CARDS = list(all_cards())

# ------------------------------------------------------------------------------------------------ helpers


@cache
def ac_schema() -> dict[str, Any]:
    if not AC_SCHEMA.is_file():
        pytest.fail(f"the official Adaptive Card schema is missing: expected it at {AC_SCHEMA}")
    return json.loads(AC_SCHEMA.read_text(encoding="utf-8"))


def schema_errors(card: dict[str, Any]) -> list[str]:
    validator = Draft6Validator(ac_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(card)]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON tree, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def ac_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The Execute/Submit actions of a card, including those inside ShowCards."""
    return [d for d in walk(card) if d.get("type") in ("Action.Execute", "Action.Submit")]


def ac_markdown_texts(card: dict[str, Any]) -> list[str]:
    """The texts an Adaptive Card client parses as markdown: TextBlocks and FactSet titles and values."""
    texts = [d["text"] for d in walk(card) if d.get("type") == "TextBlock"]
    facts = [f for d in walk(card) if d.get("type") == "FactSet" for f in d["facts"]]
    return texts + [f["title"] for f in facts] + [f["value"] for f in facts]


def slack_mrkdwn_texts(blocks: Any) -> list[str]:
    return [d["text"] for d in walk(blocks) if d.get("type") == "mrkdwn"]


def unescaped(markdown: str) -> str:
    """Markdown with its backslash escapes removed: what is left is what a parser treats as markup."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "", markdown)


def slack_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def introduced_in(definitions: dict[str, Any], type_name: str, prop: str | None = None) -> str | None:
    """The schema version that introduced an element type, or one of its properties or their types."""
    definition = definitions[type_name]
    if prop is None:
        return definition.get("version")
    spec = definition.get("properties", {}).get(prop)
    if spec:
        refs = [s["$ref"] for s in (spec, *spec.get("anyOf", ())) if "$ref" in s]
        versions = [spec.get("version"), *(definitions[r.rsplit("/", 1)[-1]].get("version") for r in refs)]
        return max((v for v in versions if v), key=version_tuple, default=None)
    for parent in definition.get("allOf", []):
        found = introduced_in(definitions, parent["$ref"].rsplit("/", 1)[-1], prop)
        if found is not None:
            return found
    return None


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def actions_by_verb(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["data"]["action"]: a for a in ac_actions(card)}


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in walk(blocks) if d.get("type") == "button"]


def assert_block_kit_limits(blocks: list[dict[str, Any]]) -> None:
    """Slack's documented message limits, checked on every block and element."""
    assert 1 <= len(blocks) <= 50
    action_ids = [d["action_id"] for d in walk(blocks) if "action_id" in d]
    assert len(action_ids) == len(set(action_ids)), action_ids
    for block in blocks:
        assert block["type"] != "input", "inputs belong in modals"
        assert_block_limits(block)


def assert_modal_limits(view: dict[str, Any]) -> None:
    """Slack's documented limits of a modal view."""
    assert view["type"] == "modal"
    for key in ("title", "submit", "close"):
        assert view[key]["type"] == "plain_text"
        assert 1 <= slack_length(view[key]["text"]) <= 24
    assert len(view["blocks"]) <= 100
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    for block in view["blocks"]:
        assert block["type"] != "actions", "a modal takes its values from input blocks"
        assert_block_limits(block)


def assert_block_limits(block: dict[str, Any]) -> None:
    kind = block["type"]
    if kind == "header":
        assert block["text"]["type"] == "plain_text"
        assert 1 <= slack_length(block["text"]["text"]) <= 150
    elif kind == "section":
        if "text" in block:
            assert 1 <= slack_length(block["text"]["text"]) <= 3000
        assert len(block.get("fields", [])) <= 10
        assert all(1 <= slack_length(f["text"]) <= 2000 for f in block.get("fields", []))
    elif kind == "context":
        assert 1 <= len(block["elements"]) <= 10
        assert all(1 <= slack_length(e["text"]) <= 3000 for e in block["elements"])
    elif kind == "actions":
        assert 1 <= len(block["elements"]) <= 25
        for element in block["elements"]:
            assert_element_limits(element)
    else:
        assert kind == "input"
        assert 1 <= slack_length(block["label"]["text"]) <= 2000
        assert block["element"]["action_id"] == block["block_id"]
        assert_element_limits(block["element"])


def assert_element_limits(element: dict[str, Any]) -> None:
    kind = element["type"]
    if kind == "button":
        assert 1 <= slack_length(element["text"]["text"]) <= 75
        assert slack_length(element["value"]) <= 2000
        assert "action" in json.loads(element["value"])
    elif kind == "plain_text_input":
        assert element["max_length"] <= 3000
        assert len(element.get("initial_value", "")) <= element["max_length"]
    else:
        assert kind == "static_select"
        assert slack_length(element["placeholder"]["text"]) <= 150
        assert 1 <= len(element["options"]) <= 100
        for option in element["options"]:
            assert 1 <= slack_length(option["text"]["text"]) <= 75
            assert 1 <= slack_length(option["value"]) <= 150
        if "initial_option" in element:
            assert element["initial_option"] in element["options"]


# ------------------------------------------------------------------------------------ Adaptive Card schema


def test_the_schema_check_rejects_an_invalid_card() -> None:
    card = {"type": "AdaptiveCard", "version": "1.5"}
    assert schema_errors({**card, "body": [{"type": "TextBlock"}]})
    assert schema_errors({**card, "actions": [{"type": "Action.Execute", "x": 1}]})


@pytest.mark.parametrize("card", CARDS)
@pytest.mark.parametrize("platform", [TEAMS, WEBEX], ids=["teams", "webex"])
def test_every_card_validates_against_the_adaptive_card_schema(card: Card, platform: dict[str, str]) -> None:
    rendered = render_adaptive(card, **platform)
    assert schema_errors(rendered) == []
    assert rendered["type"] == "AdaptiveCard"
    assert rendered["version"] == platform["version"]
    assert rendered["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"


@pytest.mark.parametrize("card", CARDS)
def test_webex_cards_use_only_adaptive_card_1_3_features(card: Card) -> None:
    rendered = render_adaptive(card, **WEBEX)
    definitions = ac_schema()["definitions"]
    newer = []
    for node in walk(rendered):
        kind = node.get("type")
        if kind not in definitions:
            continue
        for prop in [None, *node]:
            version = introduced_in(definitions, kind, prop)
            if version is not None and version_tuple(version) > (1, 3):
                newer.append(f"{kind}.{prop or ''} ({version})")
    assert newer == []


def test_teams_cards_use_execute_and_webex_cards_use_submit() -> None:
    card = ticket_card(BASE, now=NOW)

    def action_types(rendered: dict[str, Any]) -> set[str]:
        return {d["type"] for d in walk(rendered) if d.get("type", "").startswith("Action.")}

    assert action_types(render_adaptive(card, **TEAMS)) == {"Action.Execute", "Action.ShowCard"}
    assert action_types(render_adaptive(card, **WEBEX)) == {"Action.Submit", "Action.ShowCard"}
    with pytest.raises(ValueError):
        render_adaptive(card, action_style="invoke")


# ------------------------------------------------------------------------------------------------ actions


@pytest.mark.parametrize("platform", [TEAMS, WEBEX], ids=["teams", "webex"])
def test_ticket_actions_carry_verb_ticket_and_version(platform: dict[str, str]) -> None:
    rendered = render_adaptive(ticket_card(BASE, now=NOW), **platform)
    actions = actions_by_verb(rendered)
    assert set(actions) == TICKET_VERBS
    for verb, action in actions.items():
        assert action["data"]["ticket"] == 42
        assert action["data"]["version"] == 7
        if platform is TEAMS:
            assert action["verb"] == verb
    titles = [a["title"] for a in rendered["actions"]]
    assert titles == ["Assign to me", "Status", "Priority", "Add note", "Close"]
    assert rendered["actions"][-1]["style"] == "destructive"


def test_prompts_show_a_card_with_their_input() -> None:
    rendered = render_adaptive(ticket_card(BASE, now=NOW), **TEAMS)
    shown = {a["title"]: a["card"] for a in rendered["actions"] if a["type"] == "Action.ShowCard"}
    status = shown["Status"]["body"][0]
    assert (status["id"], status["type"], status["style"]) == ("status", "Input.ChoiceSet", "compact")
    assert status["value"] == "New"
    assert [c["value"] for c in status["choices"]] == list(BASE.statuses)
    priority = shown["Priority"]["body"][0]
    assert [c["value"] for c in priority["choices"]] == ["low", "medium", "high", "critical"]
    assert priority["value"] == "high"
    note = shown["Add note"]["body"][0]
    assert (note["id"], note["type"]) == ("note", "Input.Text")
    assert (note["isMultiline"], note["maxLength"]) == (True, NOTE_MAX)
    assert shown["Add note"]["actions"][0]["verb"] == "ticket.note"


def test_a_closed_ticket_offers_reopen_instead_of_close() -> None:
    rendered = render_adaptive(ticket_card(TICKETS["long"], now=NOW), **WEBEX)
    assert set(actions_by_verb(rendered)) == TICKET_VERBS - {"ticket.close"} | {"ticket.reopen"}


def test_without_statuses_there_is_no_status_prompt() -> None:
    card = ticket_card(TICKETS["no_statuses"], now=NOW)
    assert [a.title for a in card.actions] == ["Assign to me", "Priority", "Add note", "Close"]


def test_notification_offers_the_ticket_actions() -> None:
    rendered = render_adaptive(notification_card(make_event(BASE), now=NOW), **TEAMS)
    assert set(actions_by_verb(rendered)) == TICKET_VERBS


@pytest.mark.parametrize("platform", [TEAMS, WEBEX], ids=["teams", "webex"])
def test_create_form_inputs_and_actions(platform: dict[str, str]) -> None:
    rendered = render_adaptive(create_form(DRAFT), **platform)
    inputs = {d["id"]: d for d in walk(rendered) if d.get("type", "").startswith("Input.")}
    assert list(inputs) == ["title", "description", "priority", "board", "category"]
    assert inputs["title"]["value"] == "Printer jammed"
    assert (inputs["title"]["isRequired"], inputs["title"]["maxLength"]) == (True, 200)
    assert inputs["title"]["errorMessage"]
    assert inputs["description"]["isMultiline"] is True
    assert inputs["priority"]["value"] == "high"
    assert [c["value"] for c in inputs["board"]["choices"]] == ["IT", "Facilities"]
    assert [c["value"] for c in inputs["category"]["choices"]] == ["Hardware", "Software"]
    actions = rendered["actions"]
    assert [(a["title"], a["data"]) for a in actions] == [
        ("Create", {"action": "ticket.create"}),
        ("Cancel", {"action": "ticket.cancel_draft"}),
    ]
    assert actions[0]["style"] == "positive"


def test_create_form_without_categories_has_no_category_input() -> None:
    card = create_form(replace(DRAFT, categories=(), category=None))
    inputs = [e.id for e in card.body if isinstance(e, TextInput | ChoiceInput)]
    assert inputs == ["title", "description", "priority", "board"]


def test_create_form_keeps_the_title_within_200_characters() -> None:
    card = create_form(replace(DRAFT, title="t" * 300))
    title = next(e for e in card.body if isinstance(e, TextInput) and e.id == "title")
    assert len(title.value) == 200


def test_list_card_shows_ten_tickets_with_a_show_button_each_and_next() -> None:
    tickets = [replace(BASE, number=n, version=n * 10) for n in range(1, 13)]
    page = {"list": "search", "value": "printer", "offset": 10}
    card = list_card("My tickets", tickets, empty_text="Nothing here.", next_page=page)
    texts = [e.text for e in card.body if isinstance(e, Text)]
    assert texts[0] == "#1 · High · New · Printer jammed"
    assert len(texts) == 11 and texts[-1] == "More follow: press Next or type `more`."
    rendered = render_adaptive(card, **TEAMS)
    assert [(a["title"], a["verb"], a["data"]) for a in rendered["actions"][:2]] == [
        ("#1", "ticket.show", {"action": "ticket.show", "ticket": 1, "version": 10}),
        ("#2", "ticket.show", {"action": "ticket.show", "ticket": 2, "version": 20}),
    ]
    assert len(rendered["actions"]) == 11
    assert rendered["actions"][-1]["data"] == {"action": "list.next", **page}


def test_list_card_says_when_empty_and_when_the_last_page_came() -> None:
    empty = list_card("Search: printer", [], empty_text="No ticket matches printer.")
    assert (empty.body, empty.actions) == ((Text("No ticket matches printer."),), ())
    last = list_card("Open", [BASE], empty_text="-", first=False)
    assert last.body[-1] == Text("That was the last page.", "subtle")
    assert [a.verb for a in last.actions] == ["ticket.show"]


# ------------------------------------------------------------------------------------------ card content


def facts_of(card: Card) -> dict[str, str]:
    return {f.title: f.value for e in card.body if isinstance(e, Facts) for f in e.facts}


def test_ticket_card_shows_the_ticket() -> None:
    card = ticket_card(BASE, now=NOW)
    assert card.title == "#42 Printer jammed"
    assert facts_of(card) == {
        "Status": "New", "Priority": "High", "Board": "IT", "Assignees": "Alice", "Requester": "Carol",
        "Category": "Hardware", "Age": "3 h",
    }
    texts = [(e.text, e.style) for e in card.body if isinstance(e, Text)]
    assert texts == [
        ("The printer on floor 3 shows E13.", "default"),
        ("Latest note by Bob", "subtle"),
        ("Spooler restarted.", "default"),
    ]


def test_ticket_card_extremes() -> None:
    bare = ticket_card(TICKETS["bare"], now=NOW)
    assert facts_of(bare)["Assignees"] == "Unassigned"
    assert "Category" not in facts_of(bare)
    assert [e for e in bare.body if isinstance(e, Text)] == []
    long = ticket_card(TICKETS["long"], now=NOW)
    assert facts_of(long)["Assignees"].endswith("and 7 more")
    texts = [e.text for e in long.body if isinstance(e, Text)]
    assert len(texts[0]) <= 500 and texts[0].endswith("…")
    assert texts[1] == "Latest note by Bob (internal)"
    assert len(texts[2]) <= 300 and texts[2].endswith("…")


@pytest.mark.parametrize(
    ("age", "shown"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=5), "5 min"),
        (timedelta(hours=3, minutes=59), "3 h"),
        (timedelta(days=2, hours=5), "2 d"),
    ],
)
def test_ticket_age_is_human(age: timedelta, shown: str) -> None:
    assert facts_of(ticket_card(replace(BASE, created_at=NOW - age), now=NOW))["Age"] == shown


def test_a_notice_comes_first_as_a_warning() -> None:
    notice = "This card was out of date; here is the current ticket."
    assert ticket_card(BASE, now=NOW, notice=notice).body[0] == Text(notice, "warning")
    assert create_form(DRAFT, notice="Pick a board.").body[0] == Text("Pick a board.", "warning")


def test_notification_of_an_update_says_what_changed_and_by_whom() -> None:
    card = notification_card(make_event(BASE, note=make_note("x" * 1000, internal=True)), now=NOW)
    assert card.title == "#42 updated by Alice"
    texts = [e.text for e in card.body if isinstance(e, Text)]
    assert texts[:4] == [
        "Printer jammed", "Status: New → In Progress", "Assignees: — → Alice, Bob", "Note by Bob (internal)",
    ]
    assert len(texts[4]) <= 300 and texts[4].endswith("…")
    assert facts_of(card)["Status"] == "New"


def test_notification_of_a_new_ticket() -> None:
    card = notification_card(make_event(BASE, "created"), now=NOW)
    assert card.title == "New ticket #42: Printer jammed"
    assert facts_of(card)["Board"] == "IT"


def test_help_card_lists_only_the_commands_the_viewer_may_use() -> None:
    guest = facts_of(help_card(help_entries(GUEST)))
    member = facts_of(help_card(help_entries(MEMBER)))
    admin = facts_of(help_card(help_entries(ADMIN)))
    assert {"help", "new <text>", "show <n>", "my tickets", "search <words>", "cancel", "link"} <= set(guest)
    assert not {"assign <n> to <person>", "list [board] [status]"} & set(guest)
    assert set(member) == set(guest) | {c.usage for c in COMMANDS if c.audience == "members"}
    assert set(admin) == set(member) | {"follow <board>", "unfollow <board>"}
    assert "follow <board>" not in member
    texts = [e.text for e in help_card(help_entries(GUEST)).body if isinstance(e, Text)]
    assert any("Title:" in text and "Priority:" in text for text in texts)
    assert not any("Slack" in text for text in texts)


def test_help_commands_fit_a_teams_manifest_command_list() -> None:
    for command in COMMANDS:
        assert len(command.usage) <= 32 and 0 < len(command.summary) <= 128


def test_welcome_card_names_the_bot_and_gives_three_examples() -> None:
    card = welcome_card("Ticketbot")
    assert "Ticketbot" in card.title
    assert len([e for e in card.body if isinstance(e, Text) and e.text.startswith("“")]) == 3


# ------------------------------------------------------------------------------------------------ escaping

VISIBLE_SAMPLES = [
    EVIL, EVIL_LINES, "AT&T <b>x</b> {{DATE(2025-01-01T00:00:00Z)}} a\\b", "snake_case ~x~ #42 1) x",
]


def visible_markdown(escaped: str) -> str:
    """What a markdown renderer shows: backslash escapes resolved, invisible characters dropped."""
    shown = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped).replace("\u200b", "")
    return shown.replace("\u00a0", " ")


def visible_mrkdwn(escaped: str) -> str:
    """What Slack shows, with its look-alikes mapped back to the characters they stand for."""
    shown = html.unescape(escaped).replace("\u200b", "").replace("\u00ad", "")
    return shown.translate(str.maketrans("∗ˍ∼ˋ", "*_~`"))


@pytest.mark.parametrize("text", VISIBLE_SAMPLES)
def test_escaped_text_looks_the_same_but_is_inert(text: str) -> None:
    markdown, mrkdwn = escape_markdown(text), escape_mrkdwn(text)
    assert visible_markdown(markdown) == text
    assert visible_mrkdwn(mrkdwn) == text
    for live in (*LIVE_SEQUENCES, "{{"):
        assert live not in markdown
    for live in ("<!channel>", "<!here>", "<at>", "<@", "@all", "@here", "*", "_", "`", "~"):
        assert live not in mrkdwn


def test_markdown_escaping_removes_block_structure() -> None:
    escaped = escape_markdown(EVIL_LINES)
    for line in escaped.split("\n"):
        assert not re.match(r"(#{1,6} |> ?|[-+*] |\d+[.)] | {4}|---)", line), line
    assert not re.search(r"(?<!\\)[*_`\[\]]", unescaped(escaped))


def test_slack_escaping_keeps_emoji_codes_and_breaks_quotes() -> None:
    assert escape_mrkdwn(":white_check_mark: done") == ":white_check_mark: done"
    assert escape_mrkdwn("> quoted").startswith("\u00ad&gt;")


# Each rule of `escape_markdown` once, and texts none applies to (returned as they are, by its fast path).
MARKDOWN_ESCAPES = [
    ("Printer 42 on floor 3 is jammed", "Printer 42 on floor 3 is jammed"),
    ("#42 Printer jammed", "#42 Printer jammed"),
    ("New — high", "New — high"),
    ("#tag", "#tag"),
    ("1.5 litres", "1.5 litres"),
    ("-5 degrees", "-5 degrees"),
    ("a > b", "a > b"),
    ("# Heading", "\\# Heading"),
    ("1. first", "1\\. first"),
    ("  indented", "\u00a0\u00a0indented"),
    ("- item", "\\- item"),
    ("> quote", "\\> quote"),
    ("**bold** _it_ ~s~ `c` [x](y) back\\slash", "\\*\\*bold\\*\\* \\_it\\_ \\~s\\~ \\`c\\` \\[x\\](y) back\\\\slash"),
    ("<at>x</at> <!here>", "<\u200bat>x<\u200b/at> <\u200b!here>"),
    ("@all and @here", "@\u200ball and @\u200bhere"),
    ("{{DATE(x)}}", "{\u200b{DATE(x)}}"),
    ("one\r\ntwo\rthree", "one\ntwo\nthree"),
    ("line\n# two\n\t3) three", "line\n\\# two\n\u00a0\u00a0\u00a0\u00a03\\) three"),
]


@pytest.mark.parametrize(("text", "escaped"), MARKDOWN_ESCAPES)
def test_markdown_escaping_writes_exactly_these_texts(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped


def test_email_addresses_are_left_alone() -> None:
    assert escape_markdown("alice@example.com") == "alice@example.com"
    assert escape_mrkdwn("alice@example.com") == "alice@example.com"


@pytest.mark.parametrize("card", CARDS)
def test_user_text_cannot_ping_or_add_markup_in_adaptive_cards(card: Card) -> None:
    for text in ac_markdown_texts(render_adaptive(card, **TEAMS)):
        for live in LIVE_SEQUENCES:
            assert live not in text
        assert not re.search(r"[*_`\[\]]", unescaped(text)), text


@pytest.mark.parametrize("card", CARDS)
def test_user_text_cannot_ping_or_add_markup_in_slack(card: Card) -> None:
    blocks = render_blocks(card)
    for text in slack_mrkdwn_texts(blocks):
        for live in ("<!channel>", "<!here>", "<at>", "<@", "@all", "@here", "**", "<http"):
            assert live not in text
        assert not re.search(r"[_`~]", text.replace(":warning:", ""))
    assert all(d.get("verbatim") for d in walk(blocks) if d.get("type") == "mrkdwn")


def test_evil_ticket_renders_no_live_sequence_anywhere_in_its_adaptive_card() -> None:
    card = notification_card(make_event(TICKETS["evil"], note=TICKETS["evil"].latest_note), now=NOW)
    for platform in (TEAMS, WEBEX):
        dumped = json.dumps(render_adaptive(card, **platform), ensure_ascii=False)
        for live in LIVE_SEQUENCES:
            assert live not in dumped


def test_a_bold_title_is_not_bold() -> None:
    t = replace(BASE, title="**x**")
    title_block = render_adaptive(ticket_card(t, now=NOW), **TEAMS)["body"][0]
    assert title_block["text"] == r"#42 \*\*x\*\*"
    assert title_block["weight"] == "bolder"
    heading = slack_mrkdwn_texts(render_blocks(notification_card(make_event(t), now=NOW)))[0]
    assert heading == "*∗∗x∗∗*"
    assert render_webex_markdown(ticket_card(t, now=NOW)).startswith(r"**#42 \*\*x\*\***")


def test_plain_text_is_not_escaped() -> None:
    t = replace(BASE, title="Fix <b> & **x**")
    header = render_blocks(ticket_card(t, now=NOW))[0]
    assert header["text"] == {"type": "plain_text", "text": "#42 Fix <b> & **x**", "emoji": True}
    assert render_text(ticket_card(t, now=NOW))[0].startswith("#42 Fix <b> & **x**\n")


def test_input_values_are_sent_back_unescaped() -> None:
    rendered = render_adaptive(create_form(replace(DRAFT, title="**x** <y>")), **WEBEX)
    assert next(d for d in walk(rendered) if d.get("id") == "title")["value"] == "**x** <y>"
    modal = render_modal(create_form(replace(DRAFT, title="**x** <y>")), callback_id="c", private_metadata="")
    assert modal["blocks"][0]["element"]["initial_value"] == "**x** <y>"


# ---------------------------------------------------------------------------------------------- Block Kit


@pytest.mark.parametrize("card", CARDS)
def test_every_card_stays_within_block_kit_limits(card: Card) -> None:
    blocks = render_blocks(card)
    assert_block_kit_limits(blocks)
    assert blocks[0]["type"] == "header"


@pytest.mark.parametrize("card", CARDS)
def test_every_card_body_fits_a_modal(card: Card) -> None:
    assert_modal_limits(render_modal(card, callback_id="ticket.create", private_metadata='{"draft":1}'))


def test_slack_buttons_and_selects_carry_the_action() -> None:
    blocks = render_blocks(ticket_card(BASE, now=NOW))
    elements = {e["action_id"]: e for e in walk(blocks) if "action_id" in e}
    assert list(elements) == [
        "ticket.assign_me:42", "ticket.status:42", "ticket.priority:42", "ticket.note:42", "ticket.close:42",
    ]
    close = json.loads(elements["ticket.close:42"]["value"])
    assert close == {"action": "ticket.close", "ticket": 42, "version": 7}
    assert elements["ticket.close:42"]["style"] == "danger"
    assert json.loads(elements["ticket.note:42"]["value"]) == {
        "action": "ticket.note", "ticket": 42, "version": 7, "prompt": "note",
    }
    status = elements["ticket.status:42"]
    assert status["type"] == "static_select" and status["placeholder"]["text"] == "Status"
    assert json.loads(status["options"][1]["value"]) == {
        "action": "ticket.status", "ticket": 42, "version": 7, "status": "In Progress",
    }
    assert json.loads(status["initial_option"]["value"])["status"] == "New"


def test_slack_message_of_a_form_shows_values_and_an_open_form_button() -> None:
    blocks = render_blocks(create_form(DRAFT))
    assert not any(b["type"] == "input" for b in blocks)
    fields = [f["text"] for d in walk(blocks) for f in d.get("fields", [])]
    assert "*Title*\nPrinter jammed" in fields and "*Priority*\nHigh" in fields
    values = [(b["text"]["text"], json.loads(b["value"]), b.get("style")) for b in buttons(blocks)]
    assert values == [
        ("Open form", {"action": "form.open"}, None),
        ("Create", {"action": "ticket.create"}, "primary"),
        ("Cancel", {"action": "ticket.cancel_draft"}, None),
    ]


def test_create_form_modal() -> None:
    view = render_modal(create_form(DRAFT), callback_id="ticket.create", private_metadata="draft-1")
    assert (view["callback_id"], view["private_metadata"]) == ("ticket.create", "draft-1")
    assert (view["title"]["text"], view["submit"]["text"]) == ("New ticket", "Create")
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["title", "description", "priority", "board", "category"]
    title = inputs["title"]
    assert (title["optional"], title["element"]["max_length"]) == (False, 200)
    assert title["element"]["initial_value"] == "Printer jammed"
    assert inputs["description"]["element"]["multiline"] is True
    assert inputs["category"]["optional"] is True
    assert inputs["priority"]["element"]["initial_option"]["value"] == "high"


def test_a_prompt_can_open_as_a_modal() -> None:
    actions = ticket_card(BASE, now=NOW).actions
    prompt = next(a for a in actions if isinstance(a, Prompt) and a.input.id == "note")
    card = Card(prompt.title, (prompt.input,), (Button(prompt.submit_title, prompt.verb, prompt.data),))
    view = render_modal(card, callback_id="ticket.note", private_metadata=json.dumps(dict(prompt.data)))
    element = view["blocks"][0]["element"]
    assert (element["type"], element["multiline"], element["max_length"]) == ("plain_text_input", True, 3000)
    assert view["submit"]["text"] == "Add note"


def test_modal_rejects_metadata_slack_would_refuse() -> None:
    with pytest.raises(ValueError):
        render_modal(create_form(DRAFT), callback_id="c", private_metadata="x" * 3001)


def test_long_texts_are_cut_with_an_ellipsis() -> None:
    blocks = render_blocks(ticket_card(replace(BASE, title="😀" * 200), now=NOW))
    assert slack_length(blocks[0]["text"]["text"]) <= 150 and blocks[0]["text"]["text"].endswith("…")
    card = Card("T", (Text("&" * 5000), Facts((Fact("F", "<" * 5000),))), (Button("b" * 100, "x.y"),))
    blocks = render_blocks(card)
    assert_block_kit_limits(blocks)
    section = blocks[1]["text"]["text"]
    assert section.endswith("…") and section[:-1].replace("&amp;", "") == ""
    assert buttons(blocks)[0]["text"]["text"] == "b" * 74 + "…"


def test_many_elements_are_packed_into_fifty_blocks() -> None:
    body = tuple(Text(f"line {i}", style) for i in range(120) for style in ("default", "subtle"))
    card = Card("Busy", body, tuple(Button(f"B{i}", "x.press", {"ticket": i}) for i in range(30)))
    blocks = render_blocks(card)
    assert_block_kit_limits(blocks)
    assert blocks[-3]["text"]["text"] == f":warning: {CUT_NOTICE}"  # the card says it was cut
    assert [len(b["elements"]) for b in blocks if b["type"] == "actions"] == [25, 5]


def test_consecutive_texts_share_a_section_and_facts_split_by_ten() -> None:
    entries = help_entries(ADMIN)
    blocks = render_blocks(help_card(entries))
    sections = [b for b in blocks if "fields" in b]
    fields = len(entries)
    assert [len(s["fields"]) for s in sections] == [10] * (fields // 10) + ([fields % 10] if fields % 10 else [])
    changes = render_blocks(notification_card(make_event(BASE), now=NOW))[2]["text"]["text"]
    assert changes == "Status: New → In Progress\nAssignees: — → Alice, Bob"


def test_duplicate_actions_get_unique_action_ids() -> None:
    same = Button("A", "ticket.show", {"ticket": 1})
    card = Card("Dup", (), (same, replace(same, title="B")))
    assert [b["action_id"] for b in buttons(render_blocks(card))] == ["ticket.show:1", "ticket.show:1:2"]


# ----------------------------------------------------------------------------------- text and Webex fallback


def test_text_rendering_numbers_the_actions() -> None:
    card = ticket_card(BASE, now=NOW)
    text, actions = render_text(card)
    lines = text.split("\n")
    assert lines[0] == "#42 Printer jammed"
    assert "Status: New" in lines and "Assignees: Alice" in lines
    assert lines[-1] == "[1] Assign to me  [2] Status  [3] Priority  [4] Add note  [5] Close"
    assert actions == card.actions
    assert actions[1].verb == "ticket.status"


def test_text_rendering_shows_input_values() -> None:
    text, actions = render_text(create_form(DRAFT))
    assert "Title: Printer jammed" in text.split("\n")
    assert "Priority: High" in text.split("\n")
    assert [a.verb for a in actions] == ["ticket.create", "ticket.cancel_draft"]
    assert render_text(Card("Only a title")) == ("Only a title", ())


def test_webex_markdown_fallback() -> None:
    markdown = render_webex_markdown(ticket_card(TICKETS["evil"], now=NOW))
    paragraphs = markdown.split("\n\n")
    assert paragraphs[0].startswith("**#42 <\u200b!channel>")
    assert r"**Status:** New" in paragraphs
    for live in LIVE_SEQUENCES:
        assert live not in markdown
    form = render_webex_markdown(create_form(DRAFT)).split("\n\n")
    assert form[:3] == ["**New ticket**", "**Title:** Printer jammed", "**Description:** It shows E13."]


def test_choice_inputs_without_choices_are_left_out_of_modals() -> None:
    card = Card("F", (ChoiceInput("board", "Board", ()), ChoiceInput("p", "P", (Choice("A", "a"),), "a")))
    view = render_modal(card, callback_id="c", private_metadata="")
    assert [b["block_id"] for b in view["blocks"]] == ["p"]
