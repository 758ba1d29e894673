"""Random faults the platform stubs inject, for soak tests: one knob shared by every stub.

A stub given `Faults(rate, seed=...)` answers that share of its requests with a fault picked at random (seeded,
so a run can be replayed): a timeout (the request is held `hold` seconds, longer than the caller's timeout, then
served as if the platform did the work late), a 500, a 429 with `Retry-After`, or a dropped connection (closed
without an answer, nothing done). The stub renders a 500 or 429 in its own platform's error shape; `rate=0`
(the default) injects nothing, and `rate` can be changed while the stub runs.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass

from aiohttp import web

KINDS = ("timeout", "500", "429", "drop")


@dataclass(frozen=True)
class Fault:
    """What a stub answers instead of serving: an HTTP status (with Retry-After for a 429), or nothing at all
    when `dropped` (the connection is already closed; the handler returns `Fault.gone()` at once)."""

    status: int
    retry_after: str | None = None
    dropped: bool = False

    @staticmethod
    def gone() -> web.Response:
        """The handler's return value once the connection is dropped (aiohttp writes it nowhere)."""
        return web.Response(status=499)


class Faults:
    """Picks a fault for a share `rate` of the requests (0 ≤ rate ≤ 1) from `kinds`, with a seeded generator.

    `hold` is how long a timed-out request is held: keep it above the caller's timeout. `retry_after` is what a
    429 asks for (seconds). `struck` counts the faults injected by kind."""

    def __init__(self, rate: float = 0.0, *, seed: int = 0, kinds: tuple[str, ...] = KINDS, hold: float = 2.0,
                 retry_after: str = "1") -> None:
        unknown = set(kinds) - set(KINDS)
        if unknown or not kinds:
            raise ValueError(f"fault kinds are some of {KINDS}, not {sorted(unknown) or 'none'}")
        self.rate = rate
        self.kinds = kinds
        self.hold = hold
        self.retry_after = retry_after
        self.struck: Counter[str] = Counter()
        self._random = random.Random(seed)

    async def strike(self, request: web.Request) -> Fault | None:
        """The fault for this request: None to serve it (after holding it, for a timeout), or the `Fault` to
        answer with (a dropped one has closed the connection already)."""
        if self.rate <= 0 or self._random.random() >= self.rate:
            return None
        kind = self._random.choice(self.kinds)
        self.struck[kind] += 1
        if kind == "timeout":
            await asyncio.sleep(self.hold)
            return None
        if kind == "drop":
            if request.transport is not None:
                request.transport.close()
            return Fault(0, dropped=True)
        if kind == "429":
            return Fault(429, self.retry_after)
        return Fault(500)
