"""The Slack ChatPort against the stub: threads, edits, DMs, refusals as DeliveryError, refused replies deferred."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.seam import Actor, ConversationRef, DeliveryError, MessageRef, OutboundMessage
from cards.model import Button, Card, Text
from storage.models import Delivery
from tests.slack.helpers import TEAM, assert_block_kit_limits, event

CARD = Card("Printer <!channel>", (Text("jammed & *stuck*"),), (Button("Close", "ticket.close", {"ticket": 1}),))


def _port(app):
    return app.services.ports["slack"]


async def test_send_posts_into_the_thread_and_update_edits_it(app, slack):
    port = _port(app)
    to = ConversationRef("slack", "C111", "1600000000.000001", "channel", {"team_id": TEAM})
    sent = await port.send(to, OutboundMessage("New ticket <!here>", CARD))
    [post] = slack.calls_to("chat.postMessage")
    assert post.args["channel"] == "C111" and post.args["thread_ts"] == "1600000000.000001"
    assert post.args["text"] == "New ticket &lt;!here&gt;"
    assert_block_kit_limits(post.args["blocks"])
    assert sent.message_id == post.answer["ts"]
    await port.update(sent, OutboundMessage("Closed", CARD))
    [update] = slack.calls_to("chat.update")
    assert update.args["ts"] == sent.message_id and update.args["channel"] == "C111"
    assert not any(k in post.args or k in update.args for k in ("link_names", "parse"))


async def test_a_top_level_channel_post_starts_the_thread_for_later_updates(app, slack):
    sent = await _port(app).send(ConversationRef("slack", "C111", None, "channel", {"team_id": TEAM}),
                                 OutboundMessage("hello"))
    assert "thread_ts" not in slack.calls_to("chat.postMessage")[0].args
    assert sent.conversation.thread_id == sent.message_id


async def test_open_direct_opens_the_users_dm_in_their_workspace(app, slack):
    ref = await _port(app).open_direct(Actor("slack", f"{TEAM}:W222", "Megan"))
    [call] = slack.calls_to("conversations.open")
    assert call.args["users"] == "W222"
    assert ref.conversation_id == "DW222" and ref.scope == "personal" and ref.data["team_id"] == TEAM


async def test_rate_limits_carry_retry_after(app, slack):
    slack.refuse_next(429, retry_after="7")
    with pytest.raises(DeliveryError) as refused:
        await _port(app).send(ConversationRef("slack", "C111"), OutboundMessage("x"))
    assert refused.value.status == 429 and refused.value.retry_after == 7 and not refused.value.permanent


async def test_slack_errors_are_permanent_and_server_errors_are_not(app, slack):
    slack.refuse_next(200, error="channel_not_found")
    with pytest.raises(DeliveryError) as gone:
        await _port(app).update(MessageRef(ConversationRef("slack", "C404"), "1.1"), OutboundMessage("x"))
    assert gone.value.permanent
    slack.refuse_next(503)
    with pytest.raises(DeliveryError) as down:
        await _port(app).send(ConversationRef("slack", "C111"), OutboundMessage("x"))
    assert down.value.status == 503 and not down.value.permanent


async def test_other_platforms_users_get_no_slack_dm(app):
    with pytest.raises(DeliveryError) as refused:
        await _port(app).open_direct(Actor("teams", "29:x"))
    assert refused.value.permanent


async def test_a_refused_reply_goes_to_the_outbox_once(app, slack):
    body = event("event_callback.message.im.slack-docs.json", text="Title: Disk full")
    slack.refuse_next(429, retry_after="3", method="chat.postMessage")
    await app.post_event(body)
    await slack.wait_for("chat.postMessage")
    await app.post_event(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"})
    await asyncio.sleep(0.3)
    async with app.services.db.transaction() as session:
        rows = (await session.scalars(select(Delivery))).all()
    assert len(rows) == 1
    assert rows[0].platform == "slack" and rows[0].target["conversation_id"] == "D024BE91L"
    assert "429" in (rows[0].last_error or "")
    assert len(await app.services.tickets.list()) == 1


async def test_the_outbox_paces_a_slack_conversation_by_its_workspace(app, slack):
    body = event("event_callback.message.im.slack-docs.json", text="help")
    await app.post_event(body)
    await slack.wait_for("chat.postMessage")
    ref = await app.services.conversations.get("slack", body["event"]["channel"])
    assert _port(app).account(ref) == body["team_id"]
