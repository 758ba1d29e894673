"""The Webex `ChatPort` against the API stub: where messages go (room, thread, person), cards split at five
actions, long text cut, and refusals as `DeliveryError`s (429 with Retry-After at once, without the SDK's own
sleep; permanent ones marked); a refused reply to a webhook goes to the outbox."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from adapters.webex.render import MAX_TEXT_BYTES
from bot.notify.replies import load_message
from bot.seam import Actor, ConversationRef, DeliveryError, MessageRef, OutboundMessage
from cards.model import Button, Card, Text
from storage.models import Delivery
from tests.fakes.webex_api import WebexApiStub
from tests.webex.helpers import DIRECT, card_of, check_card, sample, serve_webex

ROOM = "Y2lzY29zcGFyazovL3VzL1JPT00vZ3JvdXA"
GROUP = ConversationRef("webex", ROOM, None, "group")
PERSON = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9tZWdhbg"


def _card(actions: int) -> Card:
    buttons = tuple(Button(f"Action {i}", "ticket.show", {"ticket": i}) for i in range(actions))
    return Card("#7 Many buttons", (Text("Body text"),), buttons)


async def test_send_into_a_group_space_starts_a_thread(webex):
    port = webex.services.ports["webex"]
    ref = await port.send(GROUP, OutboundMessage("Hello there"))
    [posted] = webex.webex.posted()
    assert posted == {"roomId": ROOM, "text": "Hello there"}
    assert ref.conversation.thread_id == ref.message_id
    await port.send(ref.conversation, OutboundMessage("In the thread"))
    assert webex.webex.posted()[1] == {"roomId": ROOM, "parentId": ref.message_id, "text": "In the thread"}


async def test_update_posts_the_new_card_under_the_old_one(webex):
    port = webex.services.ports["webex"]
    first = await port.send(ConversationRef("webex", "DIRECT-ROOM", None, "personal"), OutboundMessage("x", _card(1)))
    updated = await port.update(first, OutboundMessage("y", _card(2)))
    again = webex.webex.posted()[1]
    assert again["roomId"] == "DIRECT-ROOM" and again["parentId"] == first.message_id
    check_card(card_of(again))
    assert updated.conversation.thread_id == first.message_id


async def test_more_than_five_actions_continue_in_a_second_card(webex):
    port = webex.services.ports["webex"]
    await port.send(GROUP, OutboundMessage("many", _card(7)))
    first, second = webex.webex.posted()
    for posted in (first, second):
        check_card(card_of(posted))
        assert posted["markdown"]
    assert len(card_of(first)["actions"]) == 5 and len(card_of(second)["actions"]) == 2
    assert [a["data"]["ticket"] for a in card_of(second)["actions"]] == [5, 6]
    assert "Body text" in str(card_of(first)["body"]) and "Body text" not in str(card_of(second)["body"])
    assert second["roomId"] == ROOM


async def test_text_over_the_limit_is_cut_cleanly(webex):
    port = webex.services.ports["webex"]
    long_text = ("Zürich straße " * 1000).strip()
    await port.send(GROUP, OutboundMessage(long_text))
    [posted] = webex.webex.posted()
    sent = posted["text"]
    assert len(sent.encode("utf-8")) <= MAX_TEXT_BYTES
    assert sent.endswith(" …") and long_text.startswith(sent.removesuffix(" …"))
    assert sent.removesuffix(" …").endswith(("Zürich", "straße"))


async def test_open_direct_addresses_the_person_then_their_space(webex):
    port = webex.services.ports["webex"]
    direct = await port.open_direct(Actor("webex", PERSON, "Megan"))
    ref = await port.send(direct, OutboundMessage("Your ticket #3 was updated"))
    [posted] = webex.webex.posted()
    assert posted == {"toPersonId": PERSON, "text": "Your ticket #3 was updated"}
    assert ref.conversation.scope == "personal" and ref.conversation.conversation_id != PERSON
    assert ref.conversation.data["person_id"] == PERSON


async def test_open_direct_uses_the_known_space(webex):
    webhook = sample(DIRECT)
    webex.message(webhook, text="help")
    await webex.post(webhook)
    port = webex.services.ports["webex"]
    direct = await port.open_direct(Actor("webex", webhook["data"]["personId"]))
    assert direct.conversation_id == webhook["data"]["roomId"]


async def test_open_direct_refuses_another_platforms_person(webex):
    with pytest.raises(DeliveryError) as refused:
        await webex.services.ports["webex"].open_direct(Actor("slack", "U1"))
    assert refused.value.permanent


@pytest.mark.parametrize(("header", "expected"), [("7", 7.0), (None, None), ("soon", None), ("-3", 0.0)])
async def test_429_is_a_delivery_error_with_retry_after_at_once(webex, header, expected):
    webex.webex.refuse_next(429, header, method="POST")
    started = time.monotonic()
    with pytest.raises(DeliveryError) as refused:
        await webex.services.ports["webex"].send(GROUP, OutboundMessage("hi"))
    assert time.monotonic() - started < 2  # the SDK did not sleep for Retry-After (its default is 15 s)
    assert refused.value.status == 429 and refused.value.retry_after == expected
    assert not refused.value.permanent
    assert [r.status for r in webex.webex.requests if r.method == "POST"] == [429]


@pytest.mark.parametrize(("status", "permanent"), [(404, True), (403, True), (400, True), (500, False), (503, False)])
async def test_other_refusals_say_whether_retrying_helps(webex, status, permanent):
    webex.webex.refuse_next(status, method="POST")
    with pytest.raises(DeliveryError) as refused:
        await webex.services.ports["webex"].send(GROUP, OutboundMessage("hi"))
    assert refused.value.status == status and refused.value.permanent is permanent


async def test_an_unreachable_api_is_a_delivery_error(sqlite_url):
    async with WebexApiStub() as stub:
        dead_url = stub.api_url
    async with WebexApiStub() as alive, serve_webex(sqlite_url, alive, webex_api_url=dead_url) as webex:
        with pytest.raises(DeliveryError) as refused:
            await webex.services.ports["webex"].send(GROUP, OutboundMessage("hi"))
        assert refused.value.status is None and not refused.value.permanent


async def test_a_refused_reply_goes_to_the_outbox_and_the_webhook_is_answered(webex):
    webhook = sample(DIRECT)
    webex.message(webhook, text="Title: Reply later please")
    webex.webex.refuse_next(429, "30", method="POST")
    assert await webex.post(webhook) == (200, {"status": "ok"})
    assert webex.webex.posted() == []
    [ticket] = await webex.services.tickets.list()
    assert ticket.title == "Reply later please"
    async with webex.services.db.sessions() as session:
        [row] = (await session.scalars(select(Delivery))).all()
    assert row.platform == "webex" and row.state == "pending"
    assert row.dedup_key == f"reply:webex:{webhook['data']['id']}:0"
    assert ConversationRef.from_json(row.target).conversation_id == webhook["data"]["roomId"]
    assert "Reply later please" in str(row.payload) and "429" in (row.last_error or "")
    await webex.post(webhook)  # redelivered: nothing new anywhere
    async with webex.services.db.sessions() as session:
        assert len((await session.scalars(select(Delivery))).all()) == 1
    assert len(await webex.services.tickets.list()) == 1


async def test_the_deferred_reply_is_sent_by_the_port_as_stored(webex):
    webhook = sample(DIRECT)
    webex.message(webhook, text="Title: Sent by the outbox")
    webex.webex.refuse_next(503, method="POST")
    await webex.post(webhook)
    async with webex.services.db.sessions() as session:
        [row] = (await session.scalars(select(Delivery))).all()
    ref = await webex.services.ports["webex"].send(ConversationRef.from_json(row.target), load_message(row.payload))
    [posted] = webex.webex.posted()
    assert posted["roomId"] == webhook["data"]["roomId"]
    check_card(card_of(posted))
    assert isinstance(ref, MessageRef)


async def test_open_direct_by_email_addresses_the_email(webex):
    port = webex.services.ports["webex"]
    direct = await port.open_direct(Actor("webex", "megan@example.com"))
    ref = await port.send(direct, OutboundMessage("Hello Megan"))
    assert webex.webex.posted() == [{"toPersonEmail": "megan@example.com", "text": "Hello Megan"}]
    assert ref.conversation.data == {"person_email": "megan@example.com"}


async def test_stopping_the_app_closes_the_sdk_connections(sqlite_url):
    async with WebexApiStub() as stub:
        async with serve_webex(sqlite_url, stub) as webex:
            await webex.services.ports["webex"].send(GROUP, OutboundMessage("hi"))
            pool = webex.services.ports["webex"].client.api._session._req_session.adapters["http://"]
            assert pool.poolmanager.pools, "the SDK kept no connection open: nothing to check"
        # closed by the app's cleanup, not left to a garbage collection (a ResourceWarning at a random later test)
        assert not pool.poolmanager.pools
