"""Configuration kept across turns: each turn reads the versions of the boards and of the notification audience
(rules, recipients, forwards) in its opening read, and skips their statements while each version is the one it
kept them at. A change anywhere (another process, plain SQL, the same turn) must show on the next read, and a
turn that fails must not spoil what later turns are handed."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select, text

from bot.chat.opening import read_opening
from bot.seam import EventKind, InboundEvent
from bot.services import Services
from storage.models import Delivery
from tests.chat_helpers import Chat, texts
from tests.helpers import make_settings
from tests.ops.test_statement_budget import counting


async def _create(chat: Chat, title: str) -> str:
    shown = texts(await chat.say(f"Title: {title}"))
    assert "Created ticket" in shown, shown
    return shown


async def test_a_board_renamed_by_another_process_shows_on_the_next_turn(services):
    chat = Chat(services)
    assert "Service Desk" in await _create(chat, "Printer jammed")
    other = Services(make_settings(services.settings.database_url))
    try:
        board = (await other.boards.list())[0]
        await other.boards.update(board.id, name="Front Desk")
    finally:
        await other.close()
    shown = await _create(chat, "Screen flickers")
    assert "Front Desk" in shown and "Service Desk" not in shown


async def test_a_status_renamed_in_plain_sql_shows_on_the_next_turn(services):
    chat = Chat(services)
    assert "New" in await _create(chat, "Printer jammed")
    async with services.db.engine.begin() as conn:  # no service of ours: the database itself bumps the version
        await conn.execute(text("UPDATE statuses SET name = 'Triage' WHERE name = 'New'"))
    assert "Triage" in await _create(chat, "Screen flickers")


async def test_the_boards_statement_is_sent_only_when_the_version_moved(services):
    chat = Chat(services)
    await _create(chat, "Printer jammed")
    with counting(services.db.engine) as tally:
        await _create(chat, "Screen flickers")
    assert not [s for s in tally.statements if s.startswith("SELECT boards.")]
    await services.boards.add("Hardware")
    with counting(services.db.engine) as tally:
        await chat.say("Title: Keyboard missing keys")
    assert [s for s in tally.statements if s.startswith("SELECT boards.")]


async def test_a_board_added_in_the_turn_is_read_in_that_turn(services):
    chat = Chat(services)
    await _create(chat, "Printer jammed")  # the boards are kept at the current version
    event = InboundEvent(EventKind.MESSAGE, chat.ref, chat.actor, "k-1", text="hi")
    async with services.db.unit() as session:
        await read_opening(session, event)  # the version before the change below
        await services.boards.add("Hardware")
        names = [b.name for b in await services.boards.list()]
    assert names == ["Service Desk", "Hardware"]


async def test_a_turn_that_fails_after_reading_the_boards_leaves_them_whole(services, monkeypatch):
    chat = Chat(services)
    await _create(chat, "Printer jammed")
    async with services.db.engine.begin() as conn:  # a new version, same boards: the next turn reads and keeps
        await conn.execute(text("UPDATE boards SET default_priority = default_priority"))

    async def broken(*_args) -> None:
        raise RuntimeError("planner down")

    monkeypatch.setattr(services.tickets, "planner", broken)
    assert "went wrong" in texts(await chat.say("Title: Keyboard missing keys"))
    monkeypatch.undo()
    shown = await _create(chat, "Screen flickers")  # kept boards still loaded, though that turn rolled back
    assert "#2" in shown and "Service Desk" in shown and "New" in shown


async def test_concurrent_turns_share_the_kept_boards(services):
    await _create(Chat(services, conversation="warm-up"), "Printer jammed")  # kept from here on
    chats = [Chat(services, user=f"u{i}", conversation=f"c{i}") for i in range(20)]
    shown = await asyncio.gather(*(_create(chat, f"Screen {i} flickers") for i, chat in enumerate(chats)))
    assert all("Service Desk" in s and "New" in s for s in shown)
    assert sorted(int(re.search(r"Created ticket #(\d+)", s)[1]) for s in shown) == list(range(2, 22))


async def _lanes(services) -> list[str]:
    async with services.db.sessions() as session:
        return list(await session.scalars(select(Delivery.lane).order_by(Delivery.id)))


async def _room(services, name: str) -> int:
    return (await services.recipients.add("console", f"room-{name}", f"Room {name}"))["id"]


async def test_a_rule_added_by_another_process_is_followed_on_the_next_turn(services):
    chat = Chat(services)
    await _create(chat, "Printer jammed")  # no rule yet: the empty audience is kept
    other = Services(make_settings(services.settings.database_url))
    try:
        await other.rules.add("Service Desk", await _room(other, "a"))
    finally:
        await other.close()
    await _create(chat, "Screen flickers")
    assert await _lanes(services) == ["console:room-a"]


async def test_a_rule_disabled_in_plain_sql_stops_its_deliveries_on_the_next_turn(services):
    chat = Chat(services)
    await services.rules.add("Service Desk", await _room(services, "a"))
    await _create(chat, "Printer jammed")
    async with services.db.engine.begin() as conn:
        await conn.execute(text("UPDATE rules SET enabled = false"))
    await _create(chat, "Screen flickers")
    assert await _lanes(services) == ["console:room-a"]  # the first ticket's only


async def test_a_forward_added_after_the_audience_was_kept_reroutes_the_next_turn(services):
    chat = Chat(services)
    room_a, room_b = await _room(services, "a"), await _room(services, "b")
    await services.rules.add("Service Desk", room_a)
    await _create(chat, "Printer jammed")
    await services.forwards.add(room_a, room_b)
    await _create(chat, "Screen flickers")
    assert await _lanes(services) == ["console:room-a", "console:room-b"]


async def test_the_audience_statement_is_sent_only_when_its_version_moved(services):
    chat = Chat(services)
    await services.rules.add("Service Desk", await _room(services, "a"))
    await _create(chat, "Printer jammed")
    with counting(services.db.engine) as tally:
        await _create(chat, "Screen flickers")
    assert not [s for s in tally.statements if s.startswith("SELECT 0 AS forward")]
    assert await _lanes(services) == ["console:room-a", "console:room-a"]
