"""The `ChatPort` contract, run against every platform's port and its fake platform server.

What the core and the outbox rely on, whatever the platform: a sent message's reference (also in its stored
form) can be sent into again; a reply lands in the first message's thread at the platform; an update edits the
message in place (or, where the platform cannot edit, posts the new state into its thread); a direct
conversation opened for an actor can be sent to; a 429 surfaces at once as a retryable `DeliveryError` with
the platform's Retry-After; a platform nobody answers surfaces as a `DeliveryError` without a status.
"""

from __future__ import annotations

import json
from contextlib import AsyncExitStack
from typing import Any

import pytest

from bot.app import create_app
from bot.seam import DeliveryError, MessageRef, OutboundMessage
from bot.services import Services
from tests.contracts.harnesses import HARNESSES, Harness
from tests.helpers import make_settings


async def test_a_sent_message_s_stored_reference_can_be_sent_into_again(harness: Harness):
    sent = await harness.port.send(harness.conversation, OutboundMessage("first message"))
    stored = MessageRef.from_json(json.loads(sent.dumps()))
    again = await harness.port.send(stored.conversation, OutboundMessage("second message"))

    first, second = harness.seen()
    assert "first message" in first.text and "second message" in second.text
    assert first.conversation == second.conversation == harness.conversation.conversation_id
    assert sent.message_id == first.message_id and again.message_id == second.message_id
    assert sent.conversation.platform == again.conversation.platform == harness.platform


async def test_a_reply_lands_in_the_first_message_s_thread(harness: Harness):
    sent = await harness.port.send(harness.conversation, OutboundMessage("new ticket"))
    await harness.port.send(sent.conversation, OutboundMessage("a reply"))

    first, reply = harness.seen()
    assert first.thread is not None
    assert reply.thread == first.thread and reply.message_id != first.message_id


async def test_an_update_changes_the_message_where_the_platform_shows_it(harness: Harness):
    sent = await harness.port.send(harness.conversation, OutboundMessage("status: new"))
    updated = await harness.port.update(sent, OutboundMessage("status: closed"))

    first, change = harness.seen()
    assert "status: closed" in change.text
    if harness.edits_in_place:
        assert change.edit and change.message_id == first.message_id
    else:
        assert not change.edit and change.thread == first.thread
    await harness.port.send(updated.conversation, OutboundMessage("after the update"))
    assert harness.seen()[-1].thread == first.thread


async def test_a_direct_conversation_opened_for_an_actor_can_be_sent_to(harness: Harness):
    direct = await harness.port.open_direct(harness.actor)
    sent = await harness.port.send(direct, OutboundMessage("you were assigned #7"))

    assert direct.platform == harness.platform and direct.scope == "personal"
    [seen] = [s for s in harness.seen() if "you were assigned #7" in s.text]
    assert seen.conversation == direct.conversation_id and not seen.edit
    assert sent.message_id == seen.message_id


async def test_a_rate_limit_surfaces_with_its_retry_after(harness: Harness):
    harness.throttle_next("7")
    with pytest.raises(DeliveryError) as refused:
        await harness.port.send(harness.conversation, OutboundMessage("throttled"))

    assert refused.value.status == 429 and refused.value.retry_after == 7 and not refused.value.permanent
    assert harness.refusals_left() == 0 and harness.seen() == []


async def test_an_unreachable_platform_surfaces_without_a_status(harness: Harness, stack, sqlite_url, closed_url):
    port, to = await harness.unreachable(stack, sqlite_url, closed_url)
    with pytest.raises(DeliveryError) as unreachable:
        await port.send(to, OutboundMessage("nobody listens"))

    assert unreachable.value.status is None and not unreachable.value.permanent
    assert harness.seen() == []


NO_PLATFORM_SERVER = {
    "web": "the web chat's port pushes to the app's own WebSocket (tests/web): no platform API can refuse it, "
    "rate-limit it or be unreachable",
}


async def test_every_port_the_app_registers_is_in_the_suite(stack: AsyncExitStack, sqlite_url, certificate):
    settings: dict[str, Any] = {}
    for platform in HARNESSES.values():
        settings |= (await platform.started(stack, certificate)).settings()
    services = Services(make_settings(sqlite_url, **settings))
    create_app(services, upgrade=False)
    try:
        assert set(services.ports) - set(NO_PLATFORM_SERVER) == set(HARNESSES)
    finally:
        await services.close()
