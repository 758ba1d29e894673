"""The outbox's pace per platform account (a Teams tenant, a Slack workspace): a token bucket at the
platform's rate, a cap on sends in flight, and a hold after a 429 with Retry-After.

Without it the worker sent a whole batch at once: the rows over the platform's bucket were refused (429),
waited their Retry-After as pending rows and were refused again as often as not, and a fan-out to 1,000
recipients drained in 1.10–1.21× the least time the rate limits allow, with about 1,000 refusals. Now a send
waits for a token (`rate` per second, most of a second's worth at once) where the rate is known, at most
`IN_FLIGHT` go at once, and a 429 with Retry-After stops the platform's further sends until then (the rows
already refused wait their Retry-After in the outbox, as before). The hold spares the batch in flight and
ends with it: when the next rows are due is the outbox's to say (their `next_attempt_at`, which
`ticketbot outbox retry` resets and other processes share), so the next batch starts without it. A claimed
row whose turn would come after half its lease (a long Retry-After, a slow rate) is not waited for: it goes
back to pending, due at its turn, without an attempt counted, so no other worker sends it meanwhile; so is one
that waited that long for a place among the sends in flight (they hang until their timeouts).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

IN_FLIGHT = 8
"""Sends in flight per platform account: 50 a second at up to 160 ms each, and few refused at once after a hold."""
CUSHION = 0.25
"""Seconds' worth of the platform's bucket the pace leaves unused, so that sends arriving a little closer
together than they left (the network, a busy event loop) are not refused."""
RISE = 1.003
"""A platform without a known rate is paced at what it was seen to accept between its last two refusals, and
each send it accepts raises the pace by this factor: the pace climbs to what the platform allows, and a
refusal now and then (a hold of its Retry-After) sets it again."""


class Held(Exception):
    """A send would have to wait past the time given: it is due again in `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"held for {seconds:.1f} s")
        self.seconds = seconds


class Pacer:
    """One platform account's pace: `rate` sends per second (None: only what the 429s say), `burst_seconds` of
    them at once from idle (less the cushion), `IN_FLIGHT` at most."""

    def __init__(self, rate: float | None, burst_seconds: float = 1.0) -> None:
        self.known = rate if rate is not None and rate > 0 else None
        self.rate = self.known
        self.burst_seconds = burst_seconds
        self.burst = self._burst()
        self.tokens = self.burst
        self.at = 0.0
        self.held_until = 0.0
        self._accepted = 0
        self._refused_at: float | None = None
        self._turn = asyncio.Lock()
        self._slots = asyncio.Semaphore(IN_FLIGHT)

    @asynccontextmanager
    async def sending(self, within: float) -> AsyncIterator[None]:
        """Inside: one send of this platform, in its turn; raises `Held` when the turn would come later than
        `within` seconds from now (a claimed row must be sent well inside its lease, or another worker may send
        it too)."""
        deadline = asyncio.get_running_loop().time() + within
        try:
            async with asyncio.timeout_at(deadline):  # every slot taken by sends that hang: not past the deadline
                await self._slots.acquire()
        except TimeoutError:
            raise Held(0.0) from None
        try:
            async with self._turn:
                await self._wait(deadline)
            yield
        finally:
            self._slots.release()

    def accepted(self) -> None:
        """A send went through."""
        self._accepted += 1
        if self.known is None and self.rate is not None:
            self.rate = self.rate * RISE
            self.burst = self._burst()

    def refused(self, retry_after: float) -> None:
        """A 429 with Retry-After: no further send before then; where the rate is not known, the pace is what
        the platform accepted since the last refusal."""
        now = asyncio.get_running_loop().time()
        self.held_until = max(self.held_until, now + retry_after)
        if self.known is None and self._refused_at is not None and self._accepted and now > self._refused_at:
            self.rate = max(1.0, self._accepted / (now - self._refused_at))
            self.burst = self._burst()
        self._refused_at, self._accepted = now, 0

    def release(self) -> None:
        """Forget the hold (a new batch)."""
        self.held_until = 0.0

    def forget(self) -> None:
        """Forget what was learnt of an unknown rate (the platform's queue ran dry: the next burst starts fresh)."""
        self.rate = self.known
        self.burst = self._burst()
        self._refused_at, self._accepted = None, 0

    async def _wait(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if now < self.held_until:
                if self.held_until > deadline:
                    raise Held(self.held_until - now)
                await asyncio.sleep(self.held_until - now)
                continue
            if self.rate is None:
                return
            if self.at:
                self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            wait = (1 - self.tokens) / self.rate
            if now + wait > deadline:
                raise Held(wait)
            await asyncio.sleep(wait)

    def _burst(self) -> float:
        return max(1.0, (self.burst_seconds - CUSHION) * (self.rate or 0.0))
