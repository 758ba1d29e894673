"""Who receives what (SPEC §4, issue 10 "Done when"): one case per row, through the planner, the outbox
worker and a recording port. The table runs on SQLite (the rules do not depend on the backend), and its rows
whose rules and forwards read typed columns (priorities, events, keep-copy, dates: the planner reads rules and
forwards in one UNION, whose column types each backend resolves) on PostgreSQL too; the tests after it run on
both backends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.desk.errors import Conflict, Invalid
from bot.desk.principal import CLI_ADMIN
from bot.seam import Actor, ConversationRef, EventKind, InboundEvent
from storage.models import Delivery, Forward, utcnow
from tests.notify.helpers import Desk, make_desk


@pytest.fixture
async def desk(services) -> Desk:
    return await make_desk(services)


@pytest.fixture
async def sqlite_desk(sqlite_services) -> Desk:
    return await make_desk(sqlite_services)


async def _ticket(desk: Desk, *, assignees=("Alice",), priority="medium", by=CLI_ADMIN, requester="Rita") -> int:
    ticket = await desk.services.tickets.create(
        by,
        title="Printer jammed",
        priority=priority,
        requester=desk.people[requester],
        assignees=[desk.members[name] for name in assignees],
    )
    return ticket.number


async def _rule(desk: Desk, room: str, **options) -> dict:
    return await desk.services.rules.add("Service Desk", desk.rooms[room], **options)


async def _forward(desk: Desk, source: str, destination: str, **options) -> dict:
    return await desk.services.forwards.add(desk.rooms[source], desk.rooms[destination], **options)


@dataclass(frozen=True)
class Case:
    name: str
    act: Callable[[Desk], Awaitable[object]]
    expected: dict[str, int]


async def new_ticket_two_rules_one_assignee(desk: Desk) -> None:
    await _rule(desk, "A")
    await _rule(desk, "B")
    await _ticket(desk)


async def update_by_the_only_assignee(desk: Desk) -> None:
    await _rule(desk, "A")
    number = await _ticket(desk, requester="Bob")
    await desk.drain()
    desk.port.sent.clear()
    await desk.services.tickets.update(desk.people["Alice"], number, priority="high")


async def status_change_reaches_assignee_and_requester(desk: Desk) -> None:
    number = await _ticket(desk)
    await desk.drain()
    desk.port.sent.clear()
    await desk.services.tickets.set_status(desk.people["Bob"], number, "In Progress")


async def internal_note_reaches_members_only(desk: Desk) -> None:
    await _rule(desk, "A", on_update=True)
    number = await _ticket(desk)
    await desk.drain()
    desk.port.sent.clear()
    await desk.services.tickets.add_note(desk.people["Bob"], number, "the toner is empty", internal=True)


async def public_note_reaches_requester_and_update_rules(desk: Desk) -> None:
    await _rule(desk, "A", on_update=True)
    number = await _ticket(desk)
    await desk.drain()
    desk.port.sent.clear()
    await desk.services.tickets.add_note(desk.people["Bob"], number, "a technician is on the way")


async def forward_without_keep_copy(desk: Desk) -> None:
    await _rule(desk, "A")
    await _forward(desk, "A", "B")
    await _ticket(desk, assignees=())


async def forward_with_keep_copy(desk: Desk) -> None:
    await _rule(desk, "A")
    await _forward(desk, "A", "B", keep_copy=True)
    await _ticket(desk, assignees=())


async def forward_chain(desk: Desk) -> None:
    await _rule(desk, "A")
    await _forward(desk, "A", "B")
    await _forward(desk, "B", "C")
    await _ticket(desk, assignees=())


async def forward_to_a_room_that_receives_already(desk: Desk) -> None:
    await _rule(desk, "A")
    await _rule(desk, "B")
    await _forward(desk, "A", "B")
    await _ticket(desk, assignees=())


async def forward_outside_its_dates(desk: Desk) -> None:
    await _rule(desk, "A")
    await _forward(desk, "A", "B", start=utcnow() + timedelta(days=1))
    await _forward(desk, "A", "C", end=utcnow() - timedelta(days=1))
    await _ticket(desk, assignees=())


async def disabled_rule(desk: Desk) -> None:
    rule = await _rule(desk, "A")
    await _rule(desk, "B")
    await desk.services.rules.set_enabled(rule["id"], False)
    await _ticket(desk, assignees=())


async def priority_filter(desk: Desk) -> None:
    await _rule(desk, "A", min_priority="high")
    await _rule(desk, "B")
    await _ticket(desk, assignees=(), priority="low")
    await _ticket(desk, assignees=(), priority="critical")


async def follow_in_a_channel_then_a_new_ticket(desk: Desk) -> None:
    admin = await desk.services.members.add("Ada", "ada@example.com", is_admin=True)
    await desk.services.members.link("ada@example.com", desk.port.platform, "ada")
    channel = ConversationRef(desk.port.platform, "channel-9", None, "channel")
    event = InboundEvent(EventKind.MESSAGE, channel, Actor(desk.port.platform, "ada", "Ada"), "follow-1",
                         text="follow Service Desk")
    reply = await desk.services.core.handle(event)
    assert "now gets a card" in reply.messages[0].text, admin
    await _ticket(desk, assignees=())


CASES = [
    Case("new ticket, two rules, one assignee", new_ticket_two_rules_one_assignee,
         {"room-a": 1, "room-b": 1, "dm:alice": 1}),
    Case("update by the only assignee reaches nobody", update_by_the_only_assignee, {}),
    Case("status change: assignee and requester", status_change_reaches_assignee_and_requester,
         {"dm:alice": 1, "dm:rita": 1}),
    Case("internal note: members only", internal_note_reaches_members_only, {"dm:alice": 1}),
    Case("public note: assignee, requester, update rule", public_note_reaches_requester_and_update_rules,
         {"dm:alice": 1, "dm:rita": 1, "room-a": 1}),
    Case("forward A→B", forward_without_keep_copy, {"room-b": 1}),
    Case("forward A→B with keep-copy", forward_with_keep_copy, {"room-a": 1, "room-b": 1}),
    Case("forward chain A→B→C", forward_chain, {"room-c": 1}),
    Case("forward to a room that receives already", forward_to_a_room_that_receives_already, {"room-b": 1}),
    Case("forwards outside their dates", forward_outside_its_dates, {"room-a": 1}),
    Case("disabled rule", disabled_rule, {"room-b": 1}),
    Case("priority filter", priority_filter, {"room-a": 1, "room-b": 2}),
    Case("follow in a channel, then a new ticket", follow_in_a_channel_then_a_new_ticket, {"channel-9": 1}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_who_receives_what(sqlite_desk, case):
    await case.act(sqlite_desk)
    await sqlite_desk.drain()
    assert sqlite_desk.received() == case.expected


TYPED = [c for c in CASES if c.act in (forward_with_keep_copy, forward_outside_its_dates, priority_filter,
                                       public_note_reaches_requester_and_update_rules)]


@pytest.mark.parametrize("case", TYPED, ids=[c.name for c in TYPED])
async def test_who_receives_what_on_both_databases(desk, case):
    await case.act(desk)
    await desk.drain()
    assert desk.received() == case.expected


async def test_a_forwarded_delivery_says_from_whom(desk):
    await forward_chain(desk)
    await desk.drain()
    [sent] = desk.port.sent
    assert sent.message.text.startswith("Forwarded from Room A → Room C\nNew ticket #1 on Service Desk")
    assert sent.message.card is not None and sent.message.card.title == "#1 Printer jammed"


async def test_a_forward_that_would_close_a_cycle_is_refused_and_stores_nothing(desk):
    await _forward(desk, "A", "B")
    with pytest.raises(Conflict, match="cycle"):
        await _forward(desk, "B", "A")
    with pytest.raises(Invalid, match="itself"):
        await _forward(desk, "A", "A")
    with pytest.raises(Invalid, match="start must be before its end"):
        await _forward(desk, "B", "C", start=utcnow(), end=utcnow() - timedelta(hours=1))
    async with desk.services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Forward)) == 1


async def test_a_failed_change_writes_no_delivery(desk):
    await _rule(desk, "A")
    with pytest.raises(Invalid):
        await desk.services.tickets.create(CLI_ADMIN, title="", requester=desk.people["Rita"])
    async with desk.services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
