"""Storage and ticket-domain guarantees, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.desk.errors import Conflict
from bot.desk.principal import CLI_ADMIN
from storage import sqlite_driver
from storage.models import Board, Ticket, TicketEventRow, TimelineEntry


async def _counts(services, number: int) -> tuple[int, int]:
    async with services.db.sessions() as session:
        ticket_id = await session.scalar(select(Ticket.id).where(Ticket.number == number))
        timeline = await session.scalar(select(func.count()).where(TimelineEntry.ticket_id == ticket_id))
        events = await session.scalar(select(func.count()).where(TicketEventRow.ticket_id == ticket_id))
    return timeline, events


async def test_upgrade_seeds_the_default_board_and_is_idempotent(services):
    await services.upgrade()
    boards = await services.boards.list()
    assert [b.name for b in boards] == ["Service Desk"]
    assert [(s.name, s.is_closed) for s in boards[0].statuses] == [
        ("New", False),
        ("In Progress", False),
        ("Waiting", False),
        ("Resolved", True),
        ("Closed", True),
    ]


async def test_fifty_concurrent_creates_number_one_to_fifty(services):
    tickets = await asyncio.gather(
        *(services.tickets.create(CLI_ADMIN, title=f"concurrent {i}") for i in range(50))
    )
    assert sorted(t.number for t in tickets) == list(range(1, 51))
    async with services.db.sessions() as session:
        numbers = (await session.scalars(select(Ticket.number).order_by(Ticket.number))).all()
    assert numbers == list(range(1, 51))


async def test_two_updates_from_the_same_version_one_wins(services):
    ticket = await services.tickets.create(CLI_ADMIN, title="Race")
    results = await asyncio.gather(
        services.tickets.update(CLI_ADMIN, ticket.number, expected_version=ticket.version, priority="high"),
        services.tickets.update(CLI_ADMIN, ticket.number, expected_version=ticket.version, priority="low"),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    current = await services.tickets.get(ticket.number)
    assert current.priority == winners[0].priority
    assert current.version == ticket.version + 1
    assert await _counts(services, ticket.number) == (2, 2)


async def test_stale_version_changes_nothing(services):
    ticket = await services.tickets.create(CLI_ADMIN, title="Stale")
    await services.tickets.update(CLI_ADMIN, ticket.number, priority="high")
    with pytest.raises(Conflict) as caught:
        await services.tickets.update(CLI_ADMIN, ticket.number, expected_version=ticket.version, title="Other")
    assert "changed since you saw it" in str(caught.value)
    current = await services.tickets.get(ticket.number)
    assert (current.title, current.priority, current.version) == ("Stale", "high", ticket.version + 1)
    assert await _counts(services, ticket.number) == (2, 2)


async def test_every_change_leaves_one_timeline_entry_and_one_event(services):
    alice = await services.members.add("Alice", "alice@example.com")
    bob = await services.members.add("Bob", "bob@example.com")
    ticket = await services.tickets.create(CLI_ADMIN, title="Counted")
    steps = [
        lambda: services.tickets.update(CLI_ADMIN, ticket.number, title="Counted twice", priority="high"),
        lambda: services.tickets.assign(CLI_ADMIN, ticket.number, [alice, bob]),
        lambda: services.tickets.unassign(CLI_ADMIN, ticket.number, [bob]),
        lambda: services.tickets.add_note(CLI_ADMIN, ticket.number, "internal", internal=True),
        lambda: services.tickets.set_status(CLI_ADMIN, ticket.number, "waiting"),
        lambda: services.tickets.close(CLI_ADMIN, ticket.number, "fixed"),
        lambda: services.tickets.reopen(CLI_ADMIN, ticket.number),
    ]
    for done, step in enumerate(steps, start=2):
        await step()
        assert await _counts(services, ticket.number) == (done, done)
    final = await services.tickets.get(ticket.number)
    assert final.version == len(steps) + 1
    async with services.db.sessions() as session:
        kinds = (await session.scalars(select(TicketEventRow.kind).order_by(TicketEventRow.id))).all()
        note_events = (
            await session.scalars(select(TicketEventRow.note_id).where(TicketEventRow.note_id.is_not(None)))
        ).all()
    assert kinds == ["created"] + ["updated"] * len(steps)
    assert len(note_events) == 2


async def test_timestamps_come_back_aware_utc(services):
    ticket = await services.tickets.create(CLI_ADMIN, title="Clock")
    again = await services.tickets.get(ticket.number)
    assert again.created_at.utcoffset().total_seconds() == 0


async def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_services):
    async with sqlite_services.db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 1
    assert sqlite_services.db.engine.pool.size() == 1


def _lock_held(url: str) -> sqlite3.Connection:
    """Another writer (as a `ticketbot worker` process would be) holding the database's write lock."""
    other = sqlite3.connect(make_url(url).database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_sqlite_waits_for_another_writer_without_stalling_the_loop(sqlite_services, sqlite_url):
    other = _lock_held(sqlite_url)
    asyncio.get_running_loop().call_later(0.3, other.rollback)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    began = time.perf_counter()
    try:
        ticket = await sqlite_services.tickets.create(CLI_ADMIN, title="Waited for the lock")
    finally:
        ticker.cancel()
        other.close()
    waited = time.perf_counter() - began
    assert ticket.number == 1 and waited >= 0.3
    assert ticks >= 10, "the event loop was blocked while SQLite waited for the lock"


async def test_sqlite_gives_up_on_a_lock_held_too_long_and_changes_nothing(sqlite_services, sqlite_url, monkeypatch):
    monkeypatch.setattr(sqlite_driver, "BUSY_WAIT", 0.2)
    other = _lock_held(sqlite_url)
    try:
        with pytest.raises(OperationalError, match="locked"):
            await sqlite_services.tickets.create(CLI_ADMIN, title="Never made")
    finally:
        other.close()
    async with sqlite_services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 0


async def test_board_names_are_unique(services):
    from bot.desk.errors import Conflict as Duplicate

    with pytest.raises(Duplicate):
        await services.boards.add("service desk ")
    async with services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Board)) == 1
