"""The mail ChatPort against the Graph stub: answers in a ticket's thread, new mail to a person, refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adapters.mail import channel
from bot.seam import Actor, DeliveryError, OutboundMessage
from cards.model import Card, Fact, Facts, Text
from storage.models import Delivery
from tests.fakes.graph import mail
from tests.mail.helpers import poll


@pytest.fixture
async def port(mail_services):
    mail_channel = channel(mail_services.adapter_context())
    assert mail_channel is not None
    yield mail_channel.port
    await mail_channel.close()


async def test_the_stored_thread_takes_a_later_message_as_a_reply_tagged_with_the_ticket(mail_services, graph, port):
    first = graph.deliver(mail("Printer jammed", "It is jammed."))
    await poll(mail_services)
    ref = await mail_services.conversations.get("mail", graph.messages[first]["conversationId"])
    assert ref is not None and ref.data["ticket"] == 1
    card = Card("#1 Printer jammed", (Text("Status changed by <b>Bob</b>"), Facts((Fact("Status", "In Progress"),))))

    sent = await port.send(ref, OutboundMessage("#1 is In Progress", card))

    reply = graph.sent[-1]
    assert reply["id"] == sent.message_id and reply["inReplyTo"] == first
    assert reply["subject"] == "Re: Printer jammed [#1]"
    assert reply["toRecipients"] == [{"emailAddress": {"address": "ann@example.com", "name": "Ann Example"}}]
    html = reply["body"]["content"]
    assert "In Progress" in html and "&lt;b&gt;Bob&lt;/b&gt;" in html and "<b>Bob</b>" not in html
    # Mail cannot be edited: an update is one more mail in the thread.
    await port.update(sent, OutboundMessage("#1 is Resolved"))
    assert len(graph.sent) == 3 and graph.sent[-1]["inReplyTo"] == first
    assert "#1 is Resolved" in graph.sent[-1]["body"]["content"]


async def test_a_direct_mail_goes_to_the_members_address(graph, port):
    ref = await port.open_direct(Actor("teams", "aad-1", "Bob Tech", "Bob@Desk.Example"))

    await port.send(ref, OutboundMessage("You were assigned #7 <Printer>."))

    [message] = graph.sent
    assert message["toRecipients"] == [{"emailAddress": {"address": "bob@desk.example"}}]
    assert "You were assigned #7 &lt;Printer&gt;." in message["body"]["content"]
    assert graph.calls("POST", "/sendMail")[0].json["saveToSentItems"] is True


async def test_refusals_raise_delivery_errors(graph, port):
    ref = await port.open_direct(Actor("mail", "ann@example.com", "Ann"))
    graph.refuse_next(403)
    with pytest.raises(DeliveryError) as refused:
        await port.send(ref, OutboundMessage("hello"))
    assert refused.value.status == 403 and refused.value.permanent

    graph.refuse_next(429, "0")  # the port does not wait it out: the outbox retries
    with pytest.raises(DeliveryError) as throttled:
        await port.send(ref, OutboundMessage("hello"))
    assert throttled.value.status == 429 and throttled.value.retry_after == 0 and not throttled.value.permanent

    with pytest.raises(DeliveryError) as unknown:
        await port.open_direct(Actor("slack", "U1", "Someone"))
    assert unknown.value.permanent
    assert graph.sent == []


async def test_a_refused_answer_goes_to_the_outbox_and_the_mail_is_still_processed(mail_services, graph):
    graph.deliver(mail("Printer jammed", "It is jammed."))
    graph.refuse_next(503, path="/createReply")

    await poll(mail_services)

    assert len(await mail_services.tickets.list()) == 1 and graph.sent == []
    async with mail_services.db.sessions() as session:
        [row] = (await session.scalars(select(Delivery))).all()
    assert row.platform == "mail" and row.state == "pending" and "503" in (row.last_error or "")
    assert row.target["data"]["ticket"] == 1
    assert graph.folders["AAMk-1"] == "archive"
