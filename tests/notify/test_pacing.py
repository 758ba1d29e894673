"""The outbox paces itself per platform: where the rate is known (settings), a platform that enforces it refuses
nothing; where it is not, the worker learns it from the 429s' Retry-After instead of sending the rest of a batch
into the same refusal. And the planner writes an event's deliveries with as many statements for 50 recipients
as for 10."""

from __future__ import annotations

import asyncio
import math
import time

from sqlalchemy import select

from bot.desk.principal import CLI_ADMIN
from bot.notify.pacing import IN_FLIGHT
from bot.seam import ConversationRef, DeliveryError, MessageRef, OutboundMessage
from storage.models import Delivery
from tests.notify.helpers import make_desk
from tests.notify.recording import RecordingPort
from tests.notify.teams_desk import wait_for
from tests.ops.test_statement_budget import counting


class LimitedPort(RecordingPort):
    """A recording port that, like a platform, accepts `rate` sends a second (`rate` at once from full) and
    refuses the others with 429 and a Retry-After in whole seconds."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate
        self.tokens = rate
        self.at = time.monotonic()
        self.refused = 0

    async def send(self, to: ConversationRef, msg: OutboundMessage) -> MessageRef:
        await asyncio.sleep(0.01)  # the request's round trip: several are in flight at once
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            self.refused += 1
            raise DeliveryError("Too many requests.", status=429, retry_after=math.ceil((1 - self.tokens) / self.rate))
        self.tokens -= 1
        return await super().send(to, msg)


async def _fan_out(services, port: RecordingPort, rooms: int) -> None:
    for n in range(rooms):
        added = await services.recipients.add(port.platform, f"room-{n}", f"Room {n}")
        await services.rules.add("Service Desk", added["id"])
    await services.tickets.create(CLI_ADMIN, title="Everyone hears of it")


async def _states(services) -> list[str]:
    async with services.db.sessions() as session:
        return list((await session.scalars(select(Delivery.state))).all())


async def test_at_a_known_rate_one_batch_goes_out_without_a_refusal(sqlite_services):
    port = LimitedPort(rate=10)
    await make_desk(sqlite_services, port)
    sqlite_services.settings.outbox_send_rates[port.platform] = 10
    await _fan_out(sqlite_services, port, 25)
    assert await sqlite_services.worker.drain_once() == 25
    assert port.refused == 0
    assert await _states(sqlite_services) == ["sent"] * 25


class AccountsPort(LimitedPort):
    """A platform with a send limit per account (as Teams per tenant): rooms `a-…` and `b-…` are two accounts,
    each with its own bucket."""

    def __init__(self, rate: float) -> None:
        super().__init__(rate)
        self.accounts = {name: LimitedPort(rate) for name in ("a", "b")}

    def account(self, to: ConversationRef) -> str:
        return to.conversation_id.split("-")[0]

    async def send(self, to: ConversationRef, msg: OutboundMessage) -> MessageRef:
        bucket = self.accounts[self.account(to)]
        try:
            await bucket.send(to, msg)
        except DeliveryError:
            self.refused += 1
            raise
        return await RecordingPort.send(self, to, msg)


async def test_each_account_of_a_platform_is_paced_apart(sqlite_services):
    port = AccountsPort(rate=5)
    await make_desk(sqlite_services, port)
    sqlite_services.settings.outbox_send_rates[port.platform] = 5
    for n in range(20):
        added = await sqlite_services.recipients.add(port.platform, f"{'ab'[n % 2]}-{n}", f"Room {n}")
        await sqlite_services.rules.add("Service Desk", added["id"])
    await sqlite_services.tickets.create(CLI_ADMIN, title="Both tenants hear of it")
    began = time.monotonic()
    assert await sqlite_services.worker.drain_once() == 20
    took = time.monotonic() - began
    assert port.refused == 0
    assert await _states(sqlite_services) == ["sent"] * 20
    # 10 rows an account at 5 a second (3 at once) take ~1.4 s side by side; paced as one platform, 20 took ~3.4 s
    assert took < 2.6, took


async def test_at_an_unknown_rate_the_refusals_set_the_pace(sqlite_services):
    port = LimitedPort(rate=10)
    await make_desk(sqlite_services, port)
    sqlite_services.settings.outbox_poll_seconds = 0.05
    rooms = 40
    await _fan_out(sqlite_services, port, rooms)
    worker = asyncio.create_task(sqlite_services.worker.run())
    try:
        await wait_for(lambda: len(port.received()) == rooms, within=20)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    assert set(map(len, port.received().values())) == {1}
    # sent all at once, the first batch alone has 30 refused, and every retry refuses all but 10 again
    assert port.refused < rooms / 2, port.refused


async def test_the_planner_writes_50_deliveries_with_the_statements_of_10(sqlite_services):
    port = RecordingPort()
    await make_desk(sqlite_services, port)
    counts = []
    for rooms in (10, 50):
        for n in range(rooms):
            added = await sqlite_services.recipients.add(port.platform, f"room-{rooms}-{n}", f"Room {rooms}/{n}")
            await sqlite_services.rules.add("Service Desk", added["id"])
        with counting(sqlite_services.db.engine) as tally:
            await sqlite_services.tickets.create(CLI_ADMIN, title=f"Heard by {rooms}")
        counts.append(len(tally.statements))
    assert counts[0] == counts[1], (counts, sorted(set(tally.statements)))
    assert len(await _states(sqlite_services)) == 10 + 60


async def test_a_row_whose_turn_comes_after_half_its_lease_is_put_back_unsent(sqlite_services):
    port = RecordingPort()
    await make_desk(sqlite_services, port)
    sqlite_services.settings.outbox_send_rates[port.platform] = 2
    sqlite_services.settings.outbox_lease_seconds = 2  # a turn more than 1 s away is not waited for
    await _fan_out(sqlite_services, port, 6)
    await sqlite_services.worker.drain_once()
    async with sqlite_services.db.sessions() as session:
        rows = (await session.execute(select(Delivery.state, Delivery.attempts, Delivery.lease_until))).all()
    waiting = [row for row in rows if row.state != "sent"]
    assert 0 < len(port.sent) < 6 and len(waiting) == 6 - len(port.sent)
    assert {(row.state, row.attempts, row.lease_until) for row in waiting} == {("pending", 0, None)}

    async def all_sent() -> bool:
        await sqlite_services.worker.drain_once()
        return len(port.sent) == 6

    await wait_for(all_sent, within=15)
    assert sorted(port.received()) == sorted(f"room-{n}" for n in range(6))


class HangingPort(RecordingPort):
    """A recording port whose first `IN_FLIGHT` sends hang until `release` is set, as calls to a platform that
    stopped answering do until their timeouts."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.hanging = 0

    async def send(self, to: ConversationRef, msg: OutboundMessage) -> MessageRef:
        if self.hanging < IN_FLIGHT:
            self.hanging += 1
            await self.release.wait()
        return await super().send(to, msg)


async def test_a_row_that_waits_half_its_lease_for_a_place_in_flight_is_put_back_unsent(sqlite_services):
    port = HangingPort()
    await make_desk(sqlite_services, port)
    sqlite_services.settings.outbox_lease_seconds = 2  # a place more than 1 s away is not waited for
    await _fan_out(sqlite_services, port, IN_FLIGHT + 2)
    draining = asyncio.create_task(sqlite_services.worker.drain_once())
    try:
        async def two_put_back() -> bool:
            return (await _states(sqlite_services)).count("pending") == 2

        await wait_for(two_put_back, within=1.8)  # before the leases (2 s) run out and the rows could be claimed again
        assert (await _states(sqlite_services)).count("sending") == IN_FLIGHT
    finally:
        port.release.set()
        await draining

    async def all_sent() -> bool:
        await sqlite_services.worker.drain_once()
        return len(port.sent) == IN_FLIGHT + 2

    await wait_for(all_sent, within=15)
    assert sorted(port.received()) == sorted(f"room-{n}" for n in range(IN_FLIGHT + 2))
