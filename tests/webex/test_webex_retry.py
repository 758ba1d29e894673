"""Webex answering 429 with Retry-After: the reply and the notification it refused go out through the outbox
worker, once, and not before Retry-After (measured with the stub's arrival times)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from bot.desk.principal import CLI_ADMIN
from tests.fakes.webex_api import BOT, BOT_ID, WebexApiStub
from tests.notify.teams_desk import wait_for
from tests.webex.helpers import DIRECT, WebexApp, card_of, check_card, sample, serve_webex

FAST_OUTBOX = {"outbox_poll_seconds": 0.05, "outbox_backoff_seconds": 0.2}
ROOM = "Y2lzY29zcGFyazovL3VzL1JPT00vaGVscGRlc2s"


@pytest.fixture
async def webex(sqlite_url, webex_api: WebexApiStub) -> AsyncIterator[WebexApp]:
    """The app with Webex on and an outbox worker that polls every 50 ms."""
    async with serve_webex(sqlite_url, webex_api, **FAST_OUTBOX) as app:
        yield app


async def test_a_refused_reply_is_answered_200_arrives_once_after_retry_after_and_redelivery_adds_nothing(webex):
    stub = webex.webex
    webhook = sample(DIRECT)
    webex.message(webhook, text="Title: Monitor flickers")
    stub.refuse_next(429, "1", method="POST")
    assert await webex.post(webhook) == (200, {"status": "ok"})
    answered = time.monotonic()
    [refused] = stub.message_posts()
    assert refused.status == 429
    [sent] = await wait_for(lambda: [r for r in stub.message_posts() if r.status == 200])
    assert answered < sent.at  # Webex got its 200 before the reply went out
    assert sent.at - refused.at >= 1.0
    assert sent.json == refused.json and sent.json["roomId"] == webhook["data"]["roomId"]
    check_card(card_of(sent.json))
    assert await webex.post(webhook) == (200, {"status": "ok"})  # Webex redelivers the webhook
    await wait_for(lambda: time.monotonic() - sent.at > 0.5)
    assert len(stub.posted()) == 1
    assert len(await webex.services.tickets.list()) == 1


async def test_a_refused_notification_is_delivered_once_and_not_before_retry_after(webex):
    stub = webex.webex
    membership = {"resource": "memberships", "event": "created",
                  "data": {"id": "MEMBERSHIP-HELPDESK", "roomId": ROOM, "roomType": "group", "personId": BOT_ID,
                           "personEmail": BOT["emails"][0]}}
    assert (await webex.post(membership))[0] == 200  # the bot added to the space: known, welcomed
    recipient = await webex.services.recipients.add("webex", ROOM, "Helpdesk space")
    await webex.services.rules.add("Service Desk", recipient["id"])
    stub.requests.clear()
    stub.refuse_next(429, "1", method="POST")
    await webex.services.tickets.create(CLI_ADMIN, title="Badge reader offline")
    [sent] = await wait_for(lambda: [r for r in stub.message_posts() if r.status == 200])
    [refused] = [r for r in stub.message_posts() if r.status == 429]
    assert sent.at - refused.at >= 1.0
    assert sent.json == refused.json and sent.json["roomId"] == ROOM
    assert "Badge reader offline" in sent.json["markdown"]
    check_card(card_of(sent.json))
    await wait_for(lambda: time.monotonic() - sent.at > 0.5)
    assert len(stub.posted()) == 1
