"""`GET /metrics` through the real app: the bearer key, request and event counters, the outbox gauges."""

from __future__ import annotations

import logging
from datetime import timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_app
from bot.services import Services
from storage.models import Delivery, utcnow
from tests.helpers import make_settings
from tests.http import served

KEY = "m3trics-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
async def app_url(sqlite_url):
    services = Services(make_settings(sqlite_url, metrics_key=KEY))
    async with served(create_app(services)) as url:
        yield url, services


async def test_metrics_need_the_bearer_key(app_url):
    url, _ = app_url
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/metrics") as resp:
            assert resp.status == 401 and "error" in await resp.json()
        async with http.get(f"{url}/metrics", headers={"Authorization": "Bearer wrong"}) as resp:
            assert resp.status == 401


async def test_metrics_are_off_without_a_key(sqlite_url):
    app = create_app(Services(make_settings(sqlite_url)))
    async with served(app) as url, aiohttp.ClientSession() as http, http.get(f"{url}/metrics", headers=AUTH) as resp:
        assert resp.status == 404


async def test_requests_are_counted_by_route_and_status_with_latency(app_url):
    url, _ = app_url
    async with aiohttp.ClientSession() as http:
        for _ in range(3):
            async with http.get(f"{url}/healthz") as resp:
                assert resp.status == 200
        async with http.get(f"{url}/no/such/page") as resp:
            assert resp.status == 404
        async with http.get(f"{url}/metrics", headers=AUTH) as resp:
            assert resp.status == 200 and resp.content_type == "text/plain"
            samples = _samples(await resp.text())
    ok = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
    assert samples[("ticketbot_http_requests_total", ok)] == 3
    unmatched = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert samples[("ticketbot_http_requests_total", unmatched)] == 1
    count = ("ticketbot_http_request_duration_seconds_count", (("method", "GET"), ("route", "/healthz")))
    assert samples[count] == 3


async def test_inbound_events_are_counted_by_platform_and_kind(app_url):
    url, _ = app_url
    body = {
        "type": "message", "id": "act-1", "text": "help", "channelId": "emulator", "serviceUrl": "http://127.0.0.1:9/",
        "from": {"id": "u1", "name": "Alice"}, "recipient": {"id": "bot"}, "conversation": {"id": "c1"},
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/messages", json=body) as resp:
            await resp.read()  # the reply cannot be delivered (nothing listens at the serviceUrl); the turn ran
        async with http.get(f"{url}/metrics", headers=AUTH) as resp:
            samples = _samples(await resp.text())
    assert samples[("ticketbot_inbound_events_total", (("kind", "message"), ("platform", "teams")))] == 1


async def test_outbox_depth_age_attempts_and_dead_rows_by_platform(app_url):
    url, services = app_url
    async with services.db.transaction() as session:
        session.add_all([
            Delivery(platform="teams", dedup_key="a", state="pending", attempts=2,
                     created_at=utcnow() - timedelta(seconds=120)),
            Delivery(platform="teams", dedup_key="b", state="pending", attempts=1),
            Delivery(platform="teams", dedup_key="c", state="sent"),
            Delivery(platform="slack", dedup_key="d", state="dead", attempts=8),
        ])
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics", headers=AUTH) as resp:
        samples = _samples(await resp.text())
    teams, slack = (("platform", "teams"),), (("platform", "slack"),)
    assert samples[("ticketbot_outbox_pending", teams)] == 2
    assert samples[("ticketbot_outbox_pending_attempts", teams)] == 3
    assert 119 <= samples[("ticketbot_outbox_oldest_pending_age_seconds", teams)] < 180
    assert samples[("ticketbot_outbox_dead", teams)] == 0
    assert samples[("ticketbot_outbox_dead", slack)] == 1
    assert samples[("ticketbot_outbox_pending", slack)] == 0


async def test_each_request_gets_an_id_and_one_log_line(app_url, caplog):
    url, _ = app_url
    caplog.set_level(logging.INFO, logger="ticketbot.access")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/healthz", headers={"X-Request-Id": "abc-123"}) as resp:
            assert resp.headers["X-Request-Id"] == "abc-123"
        async with http.get(f"{url}/healthz?token=s3cret", headers={"X-Request-Id": "bad id\u00e9"}) as resp:
            fresh = resp.headers["X-Request-Id"]
    assert fresh != "bad id\u00e9" and len(fresh) == 32
    lines = [r for r in caplog.records if r.name == "ticketbot.access"]
    assert [(r.method, r.route, r.status) for r in lines] == [("GET", "/healthz", 200)] * 2
    assert all("s3cret" not in r.getMessage() for r in lines)
