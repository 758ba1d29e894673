"""Deliveries as an operator sees them, through a real `ticketbot serve`: `/metrics` moves after each one
(requests, inbound events, attempts by outcome, delivery latency, outbox depth, oldest age, dead rows), and the
JSON log has one line per request and one per delivery attempt with the request id, platform, conversation,
ticket number and event key — never the metrics key.

Replies go to one Bot Connector stub (the activity's serviceUrl), the channel's notifications to another, so
the test can refuse notifications without touching replies.
"""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.bot_connector import BotConnectorStub
from tests.http import healthy
from tests.notify.fanout import channels_following, free_port, start_serve, stop
from tests.notify.teams_desk import wait_for
from tests.teams.helpers import payload, variant

KEY = "s3cret-metrics-key"
CHANNEL = "19:c0@thread.tacv2"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _scrape(http: aiohttp.ClientSession, url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with http.get(f"{url}/metrics", headers={"Authorization": f"Bearer {KEY}"}) as resp:
        assert resp.status == 200
        return _samples(await resp.text())



def _lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


TEAMS = (("platform", "teams"),)


async def test_each_delivery_moves_the_metrics_and_writes_one_log_line(sqlite_url, tmp_path):
    log = tmp_path / "serve.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with BotConnectorStub() as replies, BotConnectorStub() as channel, aiohttp.ClientSession() as http:
        await channels_following(sqlite_url, channel, 1)
        server = start_serve(sqlite_url, port=port, log=log, TICKETBOT_LOG_FORMAT="json", TICKETBOT_METRICS_KEY=KEY)
        sample = payload("message.personal.msteams-docs.json", replies.service_url)

        async def create(n: int) -> None:
            activity = variant(sample, id=f"create-{n}", text=f"Title: Printer {n} jams")
            async with http.post(f"{url}/api/messages", json=activity, headers={"X-Request-Id": f"req-{n}"}) as resp:
                assert resp.status == 200

        try:
            await wait_for(lambda: healthy(http, url), within=60)
            await create(1)
            await wait_for(lambda: len(channel.accepted()) == 1)
            sent = await wait_for(lambda: _moved(http, url, "ticketbot_delivery_attempts_total", "sent"))
            assert sent[("ticketbot_http_requests_total", (("method", "POST"), ("route", "/api/messages"), ("status", "200")))] == 1
            assert sent[("ticketbot_http_request_duration_seconds_count", (("method", "POST"), ("route", "/api/messages")))] == 1
            assert sent[("ticketbot_inbound_events_total", (("kind", "message"), ("platform", "teams")))] == 1
            assert sent[("ticketbot_delivery_latency_seconds_count", TEAMS)] == 1
            assert sent[("ticketbot_delivery_latency_seconds_sum", TEAMS)] > 0
            assert sent[("ticketbot_outbox_pending", TEAMS)] == 0

            channel.refuse_next(403)  # the bot is not in the channel any more: dead at once
            await create(2)
            dead = await wait_for(lambda: _moved(http, url, "ticketbot_delivery_attempts_total", "dead"))
            assert dead[("ticketbot_outbox_dead", TEAMS)] == 1
            assert dead[("ticketbot_outbox_pending", TEAMS)] == 0

            # retried in two minutes, pending meanwhile (a later delivery to the channel would wait behind it)
            channel.refuse_next(503, retry_after="120")
            await create(3)
            retry = await wait_for(lambda: _moved(http, url, "ticketbot_delivery_attempts_total", "retry"))
            assert retry[("ticketbot_outbox_pending", TEAMS)] == 1
            assert retry[("ticketbot_outbox_pending_attempts", TEAMS)] == 1
            assert 0 < retry[("ticketbot_outbox_oldest_pending_age_seconds", TEAMS)] < 60
            assert retry[("ticketbot_outbox_dead", TEAMS)] == 1
            assert retry[("ticketbot_delivery_latency_seconds_count", TEAMS)] == 1  # not sent: no latency
        finally:
            await stop(server)
    lines = _lines(log)
    assert KEY not in log.read_text()
    turns = [line for line in lines if line.get("route") == "/api/messages"]
    assert [t["request_id"] for t in turns] == ["req-1", "req-2", "req-3"]
    first = turns[0]
    assert (first["platform"], first["ticket"]) == ("teams", 1)
    assert first["conversation"] == sample["conversation"]["id"]
    assert first["event_key"] == f"{sample['conversation']['id']}:create-1"  # Teams keys an activity by both
    assert not [line for line in lines if line["message"].startswith("turn")]  # the request lines carry the turns
    deliveries = [line for line in lines if "outcome" in line]
    assert [(d["outcome"], d["ticket"], d["request_id"]) for d in deliveries] == [
        ("sent", 1, "req-1"), ("dead", 2, "req-2"), ("retry", 3, "req-3"),
    ]
    assert all(d["platform"] == "teams" and d["conversation"] == CHANNEL for d in deliveries)
    assert all(d["event_key"].startswith(f"t{d['ticket']}:") for d in deliveries)
    assert deliveries[1]["level"] == "WARNING" and "HTTP 403" in deliveries[1]["message"]


async def _moved(http: aiohttp.ClientSession, url: str, name: str, outcome: str):
    """The samples, once the counter of `outcome` attempts on Teams is 1 (else None)."""
    samples = await _scrape(http, url)
    return samples if samples.get((name, (("outcome", outcome), ("platform", "teams")))) == 1 else None
