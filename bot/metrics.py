"""Prometheus metrics: HTTP requests, inbound events and the outbox, served at `GET /metrics`.

- `ticketbot_http_requests_total{route,method,status}` and `ticketbot_http_request_duration_seconds{route,method}`
  (a histogram) from a middleware; `route` is the matched pattern, so label values stay bounded.
- `ticketbot_inbound_events_total{platform,kind}` from `CountingCore`, which wraps the conversation core.
- `ticketbot_outbox_pending{platform}`, `ticketbot_outbox_oldest_pending_age_seconds{platform}`,
  `ticketbot_outbox_pending_attempts{platform}` and `ticketbot_outbox_dead{platform}`, read from the
  `deliveries` table at scrape time (so every process reports the shared outbox, and nothing drifts).
- `ticketbot_delivery_attempts_total{platform,outcome}` (sent, retry, dead) and
  `ticketbot_delivery_latency_seconds{platform}` (a histogram of the time from a delivery's creation to its
  sending, retries included), from this process's outbox worker (`delivered`).

`/metrics` is kept off the public routes in one of two ways. With `TICKETBOT_METRICS_PORT`, `serve` answers it
on a listener of its own (`TICKETBOT_METRICS_HOST`, 127.0.0.1 by default: bind an internal interface) and the
bot's port has no such route. Otherwise it is mounted on the bot's port only when `TICKETBOT_METRICS_KEY` is
set, and answers 401 to a request without `Authorization: Bearer <key>` (the key is asked on the own listener
too when both are set). Each app has a registry of its own.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.aiohttp import make_aiohttp_handler
from sqlalchemy import func, select

from bot.logs import route_of
from bot.seam import Actor, ConversationRef, Core, InboundEvent, OutboundMessage, Reply
from bot.web import errors_as_json, header, json_error, same
from storage.db import Database
from storage.models import Delivery

PATH = "/metrics"
SETTLED = "sent"  # a delivery in any other state but DEAD is still to be sent
DEAD = "dead"
# Request latency buckets (seconds): the p99 bar is 250 ms, so the buckets are dense below it.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.175, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Delivery latency buckets (seconds): a first try is sent within the poll interval (0.5 s), a fan-out drains at
# the platforms' rate limits over seconds to minutes, retries back off up to an hour.
DELIVERY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class Metrics:
    """The instruments of one app, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "ticketbot_http_requests", "HTTP requests by route, method and status.", ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "ticketbot_http_request_duration_seconds", "HTTP request latency by route and method.",
            ["route", "method"], buckets=BUCKETS, registry=r,
        )
        self.events = Counter(
            "ticketbot_inbound_events", "Inbound events handed to the core, by platform and kind.",
            ["platform", "kind"], registry=r,
        )
        self.pending = Gauge("ticketbot_outbox_pending", "Deliveries not yet sent nor dead.", ["platform"], registry=r)
        self.oldest = Gauge(
            "ticketbot_outbox_oldest_pending_age_seconds", "Age of the oldest pending delivery.", ["platform"],
            registry=r,
        )
        self.attempts = Gauge(
            "ticketbot_outbox_pending_attempts", "Attempts made so far on pending deliveries.", ["platform"],
            registry=r,
        )
        self.dead = Gauge("ticketbot_outbox_dead", "Deliveries given up on.", ["platform"], registry=r)
        self.delivery_attempts = Counter(
            "ticketbot_delivery_attempts", "Delivery attempts by this process, by platform and outcome.",
            ["platform", "outcome"], registry=r,
        )
        self.delivery_latency = Histogram(
            "ticketbot_delivery_latency_seconds", "Time from a delivery's creation to its sending.", ["platform"],
            buckets=DELIVERY_BUCKETS, registry=r,
        )
        self._expose = make_aiohttp_handler(r)
        # Each (route, method, status)'s request counter and latency histogram, looked up once: `labels()` checks
        # and joins its label values and takes a lock on every call. As many entries as the registry has series.
        self._http: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        """Count the request and time it, by its route pattern and its final status."""
        start = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            count, latency = self._http_series(route_of(request), request.method, status)
            count.inc()
            latency.observe(time.perf_counter() - start)

    def _http_series(self, route: str, method: str, status: int) -> tuple[Counter, Histogram]:
        key = (route, method, status)
        series = self._http.get(key)
        if series is None:
            series = (self.requests.labels(route, method, str(status)), self.latency.labels(route, method))
            self._http[key] = series
        return series

    def delivered(self, platform: str, outcome: str, age: float) -> None:
        """One delivery attempt's outcome (`bot.notify.outbox.Observer`); a sent one's age is its latency."""
        self.delivery_attempts.labels(platform, outcome).inc()
        if outcome == SETTLED:
            self.delivery_latency.labels(platform).observe(age)

    async def read_outbox(self, db: Database) -> None:
        """Set the outbox gauges from the `deliveries` table (one grouped query)."""
        waiting = Delivery.state.not_in((SETTLED, DEAD))
        query = select(
            Delivery.platform,
            func.count().filter(waiting),
            func.min(Delivery.created_at).filter(waiting),
            func.coalesce(func.sum(Delivery.attempts).filter(waiting), 0),
            func.count().filter(Delivery.state == DEAD),
        ).group_by(Delivery.platform)
        async with db.sessions() as session:
            rows = (await session.execute(query)).all()
        now = datetime.now(UTC)
        for gauge in (self.pending, self.oldest, self.attempts, self.dead):
            gauge.clear()
        for platform, pending, oldest, attempts, dead in rows:
            self.pending.labels(platform).set(pending)
            self.attempts.labels(platform).set(attempts)
            self.dead.labels(platform).set(dead)
            self.oldest.labels(platform).set(_age(now, oldest))

    def handler(self, key: str, db: Database):
        """The `GET /metrics` handler: the bearer key (when there is one), then the outbox read, then the exposition."""
        expected = f"Bearer {key}"

        async def metrics(request: web.Request) -> web.StreamResponse:
            if key and not same(expected, header(request, "Authorization")):
                return json_error(401, "The metrics need `Authorization: Bearer <TICKETBOT_METRICS_KEY>`.")
            await self.read_outbox(db)
            return await self._expose(request)

        return metrics


    def app(self, key: str, db: Database) -> web.Application:
        """The application of the metrics' own listener: `GET /metrics` and nothing else."""
        app = web.Application(middlewares=[errors_as_json])
        app.router.add_get(PATH, self.handler(key, db))
        return app


def _age(now: datetime, oldest: datetime | str | None) -> float:
    if oldest is None:
        return 0.0
    if isinstance(oldest, str):  # SQLite hands back an aggregate's timestamp as text
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())


class CountingCore:
    """The conversation core, counting each inbound event by platform and kind before handing it on."""

    def __init__(self, core: Core, counter: Counter) -> None:
        self._core = core
        self._counter = counter
        self._series: dict[tuple[str, str], Counter] = {}  # each (platform, kind)'s counter, looked up once

    async def handle(self, event: InboundEvent) -> Reply:
        key = (event.conversation.platform, event.kind.value)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = self._counter.labels(*key)
        series.inc()
        return await self._core.handle(event)

    async def pending(self, conversation: ConversationRef, actor: Actor) -> OutboundMessage | None:
        return await self._core.pending(conversation, actor)
