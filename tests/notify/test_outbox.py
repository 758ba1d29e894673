"""The outbox worker's rules with a recording port: dead at once on a permanent refusal, dead after 8
attempts, Retry-After honoured (a 429 with it waits exactly that and never kills a row), order kept per
recipient, a failed send never marked sent, a batch per platform, pruning."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.desk.principal import CLI_ADMIN
from bot.notify.outbox import BATCH, MAX_ATTEMPTS
from bot.seam import DeliveryError
from storage.models import Delivery, SeenEvent, utcnow
from tests.notify.helpers import Desk, make_desk
from tests.notify.recording import RecordingPort


@pytest.fixture
async def desk(sqlite_services) -> Desk:
    desk = await make_desk(sqlite_services)
    await sqlite_services.rules.add("Service Desk", desk.rooms["A"])
    return desk


async def _rows(desk: Desk) -> list[Delivery]:
    async with desk.services.db.sessions() as session:
        return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())


async def _due_now(desk: Desk) -> None:
    async with desk.services.db.transaction() as session:
        await session.execute(update(Delivery).where(Delivery.state == "pending").values(next_attempt_at=utcnow()))


async def test_a_permanent_refusal_is_dead_at_once_with_the_reason(desk):
    desk.port.refuse_next(DeliveryError("The bot is not in the roster.", status=403, permanent=True))
    await desk.services.tickets.create(CLI_ADMIN, title="Dead on arrival")
    await desk.drain()
    [row] = await _rows(desk)
    assert (row.state, row.attempts, row.last_error) == ("dead", 1, "The bot is not in the roster. (HTTP 403)")
    assert desk.port.sent == []


async def test_transient_failures_retry_until_the_eighth_attempt_then_dead(desk):
    await desk.services.tickets.create(CLI_ADMIN, title="Flaky platform")
    for attempt in range(1, MAX_ATTEMPTS + 1):
        desk.port.refuse_next(DeliveryError("Service unavailable.", status=503))
        await _due_now(desk)
        await desk.drain()
        [row] = await _rows(desk)
        assert row.attempts == attempt and row.sent_at is None and row.message_id is None
        assert row.state == ("dead" if attempt == MAX_ATTEMPTS else "pending")
    assert desk.port.sent == []
    assert await desk.services.outbox.retry() == 1
    await desk.drain()
    assert [r.state for r in await _rows(desk)] == ["sent"] and len(desk.port.sent) == 1


async def test_retry_after_sets_the_next_attempt_and_later_deliveries_wait_their_turn(desk):
    desk.port.refuse_next(DeliveryError("Too many requests.", status=429, retry_after=30))
    before = utcnow()
    await desk.services.tickets.create(CLI_ADMIN, title="First")
    await desk.services.tickets.create(CLI_ADMIN, title="Second")
    await desk.drain()
    first, second = await _rows(desk)
    assert first.state == "pending" and first.next_attempt_at >= before + timedelta(seconds=30)
    assert second.state == "pending" and desk.port.sent == []  # Room A's second waits behind its first
    await _due_now(desk)
    await desk.drain()
    assert [s.message.text.split(": ")[1] for s in desk.port.sent] == ["First (medium)", "Second (medium)"]


async def test_a_429_with_retry_after_waits_just_that_however_often_and_never_makes_the_row_dead(desk):
    await desk.services.tickets.create(CLI_ADMIN, title="Busy platform")
    for attempt in range(1, MAX_ATTEMPTS + 3):
        desk.port.refuse_next(DeliveryError("Too many requests.", status=429, retry_after=5))
        await _due_now(desk)
        before = utcnow()
        await desk.drain()
        [row] = await _rows(desk)
        assert (row.state, row.attempts) == ("pending", attempt)
        # exactly the Retry-After, not the exponential backoff (2 s · 2^(attempt-1) by now)
        assert before + timedelta(seconds=5) <= row.next_attempt_at <= utcnow() + timedelta(seconds=5)
    await _due_now(desk)
    await desk.drain()
    assert [r.state for r in await _rows(desk)] == ["sent"] and len(desk.port.sent) == 1


async def test_a_long_queue_on_one_platform_does_not_hold_back_another_platforms_rows(desk):
    for n in range(BATCH):
        added = await desk.services.recipients.add(desk.port.platform, f"busy-{n}", f"Busy {n}")
        await desk.services.rules.add("Service Desk", added["id"])
    other = RecordingPort("other")
    desk.services.ports[other.platform] = other
    await desk.services.rules.add("Service Desk", (await desk.services.recipients.add("other", "room-x", "Room X"))["id"])
    await desk.services.tickets.create(CLI_ADMIN, title="Everyone hears of it")
    assert await desk.services.worker.drain_once() == BATCH + 1  # the platform's first 50, and the other's row
    assert list(other.received()) == ["room-x"]
    assert len(desk.port.sent) == BATCH


async def test_the_worker_prunes_old_sent_rows_and_seen_events(desk):
    await desk.services.tickets.create(CLI_ADMIN, title="Old news")
    await desk.drain()
    old = utcnow() - timedelta(days=desk.services.settings.outbox_retention_days + 1)
    async with desk.services.db.transaction() as session:
        await session.execute(update(Delivery).values(sent_at=old))
        session.add_all([SeenEvent(key="teams:old", seen_at=old), SeenEvent(key="teams:new")])
    assert await desk.services.worker.prune() == (1, 1)
    async with desk.services.db.sessions() as session:
        assert (await session.scalars(select(SeenEvent.key))).all() == ["teams:new"]
    assert await _rows(desk) == []
