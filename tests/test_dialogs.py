"""Dialogs through the core: one question at a time, choices, cancel, three strikes, expiry, restarts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.services import Services
from storage.models import DialogState, utcnow
from tests.chat_helpers import Chat, texts
from tests.helpers import make_settings


@pytest.fixture
async def alice(services):
    await services.members.add("Alice", "alice@example.com", is_admin=True)
    return Chat(services, email="alice@example.com")


async def _dialog_rows(services) -> list[DialogState]:
    async with services.db.sessions() as session:
        return list((await session.scalars(select(DialogState))).all())


async def test_new_asks_every_field_in_turn(services, alice):
    await services.boards.add("Network")
    await services.boards.add_category(None, "Hardware/Printers")
    await services.boards.add_category(None, "Hardware/Laptops")
    await services.boards.add_category(None, "Software")
    steps = [
        ("new", "What is the problem, in one line?"),
        ("Printer jams", "Describe it in more detail"),
        ("Every page since Monday", "How urgent is it?\n[1] low  [2] medium  [3] high  [4] critical  [5] Cancel"),
        ("3", "Which board should it go to?\n[1] Service Desk  [2] Network"),
        ("service desk", "Which category? Say `none` to leave it there.\n[1] Hardware  [2] Software"),
        ("Hardware", "Which category within Hardware?"),
    ]
    for said, asked in steps:
        reply = await alice.say(said)
        assert asked in texts(reply), (said, texts(reply))
        assert await services.tickets.list() == []
    reply = await alice.say("1")
    assert "Created ticket #1." in texts(reply)
    ticket = await services.tickets.get(1)
    assert (ticket.title, ticket.description, ticket.priority, ticket.board.name, ticket.category.name) == (
        "Printer jams",
        "Every page since Monday",
        "high",
        "Service Desk",
        "Laptops",
    )
    assert await _dialog_rows(services) == []


@pytest.mark.parametrize(
    ("form", "asked", "answer", "expect"),
    [
        ("Priority: high\nDescription: toner everywhere", "What is the problem, in one line?", "Toner leak",
         {"title": "Toner leak", "priority": "high"}),
        ("Title: Toner leak\nPriority: soonish", "'soonish' is not a priority.", "critical",
         {"title": "Toner leak", "priority": "critical"}),
        ("Title: Toner leak\nBoard: Nowhere", "There is no board 'Nowhere'", "2",
         {"title": "Toner leak", "board": "Network"}),
    ],
)
async def test_structured_form_asks_only_what_is_missing_or_invalid(services, alice, form, asked, answer, expect):
    await services.boards.add("Network")
    reply = await alice.say(form)
    assert asked in texts(reply)
    assert await services.tickets.list() == []
    reply = await alice.say(answer)
    if "board" not in expect:
        reply = await alice.say("1")
    assert "Created ticket #1." in texts(reply), texts(reply)
    ticket = await services.tickets.get(1)
    for field, value in expect.items():
        assert (ticket.board.name if field == "board" else getattr(ticket, field)) == value


async def test_a_boards_own_categories_are_asked_for_on_that_board_only(services, alice):
    await services.boards.add("Network")
    await services.boards.add_category("Network", "Cabling")
    reply = await alice.say("Title: Loose cable\nBoard: Network")
    assert "Which category? Say `none` to leave it there.\n[1] Cabling" in texts(reply), texts(reply)
    assert "Created ticket #1." in texts(await alice.say("1"))
    assert "Created ticket #2." in texts(await alice.say("Title: Printer jams\nBoard: Service Desk"))
    tickets = [await services.tickets.get(n) for n in (1, 2)]
    assert [(t.board.name, t.category.name if t.category else None) for t in tickets] == [
        ("Network", "Cabling"),
        ("Service Desk", None),
    ]


async def test_complete_structured_form_creates_at_once(services, alice):
    reply = await alice.say("title: VPN drops\nPRIORITY: p2\ndescription: since the update\nevery hour")
    assert "Created ticket #1." in texts(reply)
    ticket = await services.tickets.get(1)
    assert (ticket.title, ticket.priority, ticket.description) == ("VPN drops", "high", "since the update\nevery hour")


async def test_invalid_answers_offer_choices_and_three_end_the_dialog(services, alice):
    await alice.say("status")
    await services.tickets.create(await services.members.principal_for(alice.actor), title="Slow PC")
    reply = await alice.say("status 1")
    assert "Which status should #1 have?\n[1] New  [2] In Progress  [3] Waiting  [4] Resolved  [5] Closed" in texts(reply)
    first = await alice.say("done")
    assert "'done' is not a status of this board." in texts(first) and "Which status" in texts(first)
    await alice.say("finished")
    third = await alice.say("over")
    assert "three tries" in texts(third) and "help" in texts(third)
    assert await _dialog_rows(services) == []
    ticket = await services.tickets.get(1)
    assert (ticket.status.name, ticket.version) == ("New", 1)


async def test_a_valid_answer_resets_the_strikes(services, alice):
    await services.tickets.create(await services.members.principal_for(alice.actor), title="Slow PC")
    await alice.say("priority 1")
    await alice.say("soon")
    await alice.say("later")
    reply = await alice.say("P1")
    assert "Changed the priority of #1." in texts(reply)
    assert (await services.tickets.get(1)).priority == "critical"


async def test_cancel_leaves_at_any_step(services, alice):
    await alice.say("new")
    await alice.say("Broken chair")
    reply = await alice.say("Cancel")
    assert "Cancelled; nothing was changed." in texts(reply)
    assert await services.tickets.list() == []
    assert await _dialog_rows(services) == []
    after = await alice.say("help")
    assert after.messages[0].card is not None


async def test_dialog_expires_after_thirty_idle_minutes(services, alice):
    await alice.say("new")
    async with services.db.transaction() as session:
        await session.execute(update(DialogState).values(updated_at=utcnow() - timedelta(minutes=31)))
    reply = await alice.say("Broken chair")
    assert "expired after 30 minutes" in texts(reply)
    assert "New ticket\nTitle: Broken chair" in texts(reply) and "[1] Create  [2] Cancel" in texts(reply)
    assert await services.tickets.list() == []


async def test_two_people_in_one_channel_have_their_own_dialogs(services):
    await services.members.add("Alice", "alice@example.com")
    await services.members.add("Bob", "bob@example.com")
    alice = Chat(services, "ua", "Alice", "alice@example.com", conversation="room", scope="channel")
    bob = Chat(services, "ub", "Bob", "bob@example.com", conversation="room", scope="channel")
    await alice.say("new")
    await bob.say("new")
    await alice.say("Alice's monitor flickers")
    await bob.say("Bob's keyboard")
    await bob.say("skip")
    await alice.say("skip")
    await alice.say("low")
    await bob.say("critical")
    tickets = {t.title: t for t in await services.tickets.list()}
    assert tickets["Alice's monitor flickers"].priority == "low"
    assert tickets["Alice's monitor flickers"].requester_name == "Alice"
    assert tickets["Bob's keyboard"].priority == "critical"
    assert tickets["Bob's keyboard"].requester_name == "Bob"


async def test_dialog_survives_a_restart(db_url):
    first = Services(make_settings(db_url))
    await first.members.add("Alice", "alice@example.com")
    await Chat(first, email="alice@example.com").say("new")
    await Chat(first, email="alice@example.com").say("Projector dead")
    await first.close()

    second = Services(make_settings(db_url))
    try:
        chat = Chat(second, email="alice@example.com")
        assert "How urgent" in texts(await chat.say("skip"))
        assert "Created ticket #1." in texts(await chat.say("medium"))
        assert (await second.tickets.get(1)).title == "Projector dead"
    finally:
        await second.close()


async def test_assign_dialog_offers_matching_members(services, alice):
    await services.members.add("Megan Bowen", "megan@example.com")
    await services.members.add("Megan Fox", "mfox@example.com")
    await services.tickets.create(await services.members.principal_for(alice.actor), title="Badge reader")
    reply = await alice.say("assign 1 to megan")
    assert "Several members match" in texts(reply) and "[1] Megan Bowen  [2] Megan Fox" in texts(reply)
    reply = await alice.say("2")
    assert "Assigned #1 to Megan Fox." in texts(reply)
    assert [m.name for m in (await services.tickets.get(1)).assignees] == ["Megan Fox"]
