"""The conversation core as adapters see it: dedup, ordering, identities, permissions, card actions."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from bot.seam import Actor, EventKind, InboundEvent
from bot.services import Services
from storage.models import Identity, Rule, SeenEvent
from tests.chat_helpers import Chat, texts


@pytest.fixture
async def admin(services):
    await services.members.add("Alice Admin", "alice@example.com", is_admin=True)
    return Chat(services, "ua", "Alice", "alice@example.com")


async def test_a_redelivered_event_is_answered_once_and_changes_nothing_twice(services, admin):
    first = await admin.say("Title: Printer jammed", key="evt-1")
    again = await admin.say("Title: Printer jammed", key="evt-1")
    assert "Created ticket #1." in texts(first)
    assert again.messages == () and again.refreshed is None
    assert len(await services.tickets.list()) == 1
    async with services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SeenEvent)) == 1


async def test_events_of_one_conversation_run_in_arrival_order(services, admin):
    await admin.say("Title: Ordered notes")
    await asyncio.gather(*(admin.say(f"note 1 step {i}") for i in range(15)))
    notes = await services.tickets.notes(1)
    assert [n.text for n in notes] == [f"step {i}" for i in range(15)]


async def test_on_postgresql_a_turn_waits_for_its_conversation_held_by_another_process(services, admin):
    """The lock another `serve` process would hold for its turn in the conversation: this process's turn there
    waits until it ends, a turn in another conversation does not."""
    if services.db.dialect != "postgresql":
        pytest.skip("SQLite serialises every write transaction; the advisory lock is PostgreSQL's")
    other = Services(services.settings)
    try:
        async with other.db.engine.connect() as held:
            await held.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('console:conv-1', 0))"))
            waiting = asyncio.create_task(admin.say("Title: Printer jammed"))
            elsewhere = Chat(services, "ua", "Alice", "alice@example.com", conversation="conv-2")
            assert "Created ticket #1." in texts(await asyncio.wait_for(elsewhere.say("Title: Other room"), 10))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            await held.rollback()
        assert "Created ticket #2." in texts(await asyncio.wait_for(waiting, 10))
    finally:
        await other.close()


async def test_unknown_actor_is_recorded_and_linked_by_email(services):
    bob = await services.members.add("Bob Tech", "bob@example.com")
    chat = Chat(services, "29:bob", "Bob from Teams", "BOB@example.com", platform="teams")
    reply = await chat.say("my tickets")
    assert "My open tickets" in texts(reply)
    stranger = Chat(services, "29:zed", "Zed", None, platform="teams")
    await stranger.say("help")
    async with services.db.sessions() as session:
        rows = {i.user_id: i for i in (await session.scalars(select(Identity))).all()}
    assert rows["29:bob"].member_id == bob.id and rows["29:bob"].email == "bob@example.com"
    assert rows["29:zed"].member_id is None and rows["29:zed"].name == "Zed"


async def test_requester_cannot_assign_or_close_someone_elses_ticket(services, admin):
    await admin.say("Title: Admin's own ticket")
    guest = Chat(services, "ug", "Gus Guest")
    reply = await guest.say("Title: Guest laptop broken")
    assert "Created ticket #2." in texts(reply)
    assert "Only desk members can assign ticket #2." in texts(await guest.say("assign 2 to alice@example.com"))
    assert "not yours" in texts(await guest.say("close 1"))
    assert "not yours" in texts(await guest.say("show 1"))
    refused = await guest.press("ticket.close", ticket=1, version=1)
    assert "not yours" in texts(refused)
    assert (await services.tickets.get(1)).status.name == "New"
    assert "Closed #2." in texts(await guest.say("close 2 fixed itself"))


async def test_only_admins_follow_boards_in_channels(services, admin):
    await services.members.add("Bob Tech", "bob@example.com")
    room_admin = Chat(services, "ua", "Alice", "alice@example.com", conversation="room", scope="channel")
    room_bob = Chat(services, "ub", "Bob", "bob@example.com", conversation="room", scope="channel")
    assert "Only admins can make a channel follow a board." in texts(await room_bob.say("follow Service Desk"))
    assert "works in a channel" in texts(await admin.say("follow"))
    assert "now gets a card for every new ticket on Service Desk" in texts(await room_admin.say("follow service desk"))
    assert "already follows" in texts(await room_admin.say("follow"))
    async with services.db.sessions() as session:
        rules = (await session.scalars(select(Rule))).all()
    assert [(r.enabled, r.events) for r in rules] == [(True, ["created"])]
    assert "no longer follows" in texts(await room_admin.say("unfollow"))
    async with services.db.sessions() as session:
        assert (await session.scalar(select(Rule.enabled))) is False


async def test_card_action_answers_with_the_refreshed_card(services, admin):
    await admin.say("Title: Monitor flickers")
    reply = await admin.press("ticket.assign_me", ticket=1, version=1)
    assert reply.messages == ()
    card = reply.refreshed.card
    assert card.title.startswith("#1")
    assert any(getattr(f, "value", None) == "Alice Admin" for el in card.body for f in getattr(el, "facts", ()))
    assert all(a.data.get("version") == 2 for a in card.actions)
    status = await admin.press("ticket.status", ticket=1, version=2, status="Waiting")
    assert "Status set to Waiting." in texts(status)
    assert (await services.tickets.get(1)).status.name == "Waiting"


async def test_a_stale_card_gets_the_fresh_card_and_a_note(services, admin):
    await admin.say("Title: Monitor flickers")
    await admin.say("priority 1 high")
    reply = await admin.press("ticket.close", ticket=1, version=1)
    assert "This card was out of date" in texts(reply)
    assert reply.refreshed.card is not None
    ticket = await services.tickets.get(1)
    assert (ticket.status.name, ticket.version) == ("New", 2)


@pytest.mark.parametrize(
    ("action", "values", "answer"),
    [
        ("ticket.close", {"ticket": "abc", "version": 1}, "does not say which ticket"),
        ("ticket.close", {"ticket": 99, "version": 1}, "There is no ticket #99."),
        ("ticket.explode", {"ticket": 1}, "I do not know that button."),
        ("ticket.create", {"title": "  "}, "needs a title"),
        ("ticket.status", {"ticket": 1, "version": 1, "status": "Gone"}, "'Gone' is not a status"),
    ],
)
async def test_broken_card_actions_get_a_clear_answer_and_change_nothing(services, admin, action, values, answer):
    await admin.say("Title: Sturdy")
    reply = await admin.press(action, **values)
    assert answer in texts(reply)
    ticket = await services.tickets.get(1)
    assert ticket.version == 1 and len(await services.tickets.list()) == 1


async def test_draft_creates_nothing_until_confirmed(services, admin):
    reply = await admin.say("the printer on 3 is down again, everyone is blocked")
    card = reply.messages[0].card
    assert card is not None and card.title == "New ticket"
    assert await services.tickets.list() == []
    created = await admin.press("ticket.create", title="Printer on 3 down", priority="critical", board="Service Desk")
    assert "Created ticket #1." in texts(created)
    discarded = await admin.press("ticket.cancel_draft")
    assert "Nothing was created." in texts(discarded)
    assert len(await services.tickets.list()) == 1


async def test_nonsense_gets_the_closest_command_never_a_traceback(services, admin):
    reply = await admin.say("asign 1 to me")
    assert "Did you mean `assign <n> to <person>`?" in texts(reply) and "help" in texts(reply)
    assert texts(await admin.say("show 12345678901234567890")) == "There is no ticket #12345678901234567890."
    assert texts(await admin.say("show 2147483648")) == "There is no ticket #2147483648."
    huge = "9" * 5000
    assert texts(await admin.say(f"show {huge}")).startswith("There is no ticket #")


async def test_slack_style_mention_assigns_the_linked_member(services, admin):
    megan = await services.members.add("Megan Bowen", "megan@example.com")
    await services.members.link("megan@example.com", "slack", "U2")
    chat = Chat(services, "U1", "Alice", "alice@example.com", platform="slack")
    await chat.say("Title: Wifi")
    reply = await chat.say("assign 1 to @U2", mentions=(Actor("slack", "U2", "megan"),))
    assert f"Assigned #1 to {megan.name}." in texts(reply)


async def test_install_and_uninstall_remember_the_conversation(services):
    chat = Chat(services, platform="teams", conversation="19:team", scope="channel")
    event = InboundEvent(EventKind.INSTALLED, chat.ref, chat.actor, "install-1")
    reply = await services.core.handle(event)
    assert reply.messages[0].card is not None
    assert await services.conversations.get("teams", "19:team") is not None
    await services.core.handle(InboundEvent(EventKind.UNINSTALLED, chat.ref, chat.actor, "uninstall-1"))
    assert await services.conversations.get("teams", "19:team") is None
