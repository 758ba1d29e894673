"""Slack messages over real HTTP: signed samples posted to the app, replies checked at the Web API stub."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl

import pytest

from storage.models import Identity
from tests.slack.helpers import TEAM, assert_block_kit_limits, event, posted_text, sample


async def test_url_verification_answers_the_challenge(app):
    body = sample("url_verification.bolt-python.json")
    status, answer = await app.post_event(body)
    assert status == 200
    assert answer == {"challenge": body["challenge"]} or answer == body["challenge"]


async def test_app_mention_is_answered_in_its_thread_without_the_mention(app, slack):
    body = event("event_callback.app_mention.bolt-python.json", text="<@UBOTT111> help")
    status, _ = await app.post_event(body)
    assert status == 200
    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C111"
    assert post.args["thread_ts"] == body["event"]["ts"]
    assert post.token == f"xoxb-{TEAM}"
    assert "link_names" not in post.args and "parse" not in post.args
    assert_block_kit_limits(post.args.get("blocks") or [])


async def test_a_mention_in_a_channel_drafts_a_ticket_and_create_makes_it(app, slack):
    body = event("event_callback.app_mention.bolt-python.json", text="<@UBOTT111> printer on 3 is jammed, urgent")
    await app.post_event(body)
    [post] = await slack.wait_for("chat.postMessage")
    assert "printer on 3 is jammed" in posted_text(post)
    assert "<@UBOTT111>" not in posted_text(post)
    blocks = post.args["blocks"]
    assert_block_kit_limits(blocks)
    create = next(e for b in blocks if b["type"] == "actions" for e in b["elements"]
                  if '"ticket.create"' in e.get("value", ""))
    press = sample("block_actions.bolt-python.json")
    press["user"] = {"id": "W222", "team_id": TEAM}
    press["container"] = {"type": "message", "message_ts": post.answer["ts"], "channel_id": "C111"}
    press["actions"] = [{**create, "block_id": "b", "action_ts": "1.2"}]
    status, _ = await app.post_interaction(press)
    assert status == 200
    [update] = await slack.wait_for("chat.update")
    assert update.args["ts"] == post.answer["ts"] and update.args["channel"] == "C111"
    assert "Created ticket #1" in posted_text(update)
    assert_block_kit_limits(update.args["blocks"])
    ticket = await app.services.tickets.get(1)
    assert ticket.title.startswith("printer on 3 is jammed")
    assert ticket.priority in ("high", "critical")


async def test_the_same_event_id_three_times_makes_one_ticket_and_one_reply(app, slack):
    body = event("event_callback.message.im.bolt-python.json", text="Title: VPN down\nPriority: high", thread_ts=None)
    answers = [await app.post_event(body, headers={"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}
                                    if n else None) for n in range(3)]
    assert [status for status, _ in answers] == [200, 200, 200]
    await slack.wait_for("chat.postMessage")
    await asyncio.sleep(0.3)
    assert len(slack.calls_to("chat.postMessage")) == 1
    tickets = await app.services.tickets.list()
    assert [t.title for t in tickets] == ["VPN down"]


async def test_direct_message_reply_goes_to_the_dm_and_the_actor_carries_the_team(app, slack):
    body = event("event_callback.message.im.slack-docs.json", text="Title: Laptop broken")
    slack.users["U2147483697"] = {"id": "U2147483697", "name": "ann", "profile": {"email": "ann@example.com"}}
    await app.post_event(body)
    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "D024BE91L" and "thread_ts" not in post.args
    [ticket] = await app.services.tickets.list()
    async with app.services.db.transaction() as session:
        identity = await session.get(Identity, ticket.requester_identity_id)
    assert identity.user_id == "T123ABC456:U2147483697"
    assert identity.email == "ann@example.com"


async def test_messages_from_bots_and_edits_are_ignored(app, slack):
    await app.post_event(event("event_callback.message.im.slack-docs.json", bot_id="B999", text="Title: from a bot"))
    edited = event("event_callback.message.im.slack-docs.json", subtype="message_changed", text="Title: edited")
    edited["event_id"] = "Ev-edit"
    await app.post_event(edited)
    own = event("event_callback.message.im.slack-docs.json", user="UBOTT111", text="Title: mine")
    own["event_id"] = "Ev-own"
    await app.post_event(own)
    await asyncio.sleep(0.3)
    assert slack.calls_to("chat.postMessage") == []
    assert list(await app.services.tickets.list()) == []


async def test_user_text_is_escaped_and_pings_nobody(app, slack):
    # The user typed `<!here>` literally (Slack sends it escaped) and pinged @channel (Slack sends `<!channel>`).
    body = event("event_callback.message.im.slack-docs.json", text="Title: &lt;!here&gt; <!channel> broke *it*")
    await app.post_event(body)
    [post] = await slack.wait_for("chat.postMessage")
    mrkdwn = [post.args["text"], *(json.dumps(b) for b in post.args["blocks"] if b["type"] != "header")]
    assert all("<!" not in text and "@channel" not in text for text in mrkdwn)
    assert "&lt;!here&gt; @\u200bchannel broke \u2217it\u2217" in post.args["text"]


async def test_a_thread_reply_in_a_channel_reaches_the_core_in_that_thread(app, slack):
    reply = event("event_callback.message.im.bolt-python.json", channel="C111", channel_type="channel",
                  text="Title: Follow-up in the thread", thread_ts="1726133698.626339")
    reply["event"].pop("user_profile")
    status, _ = await app.post_event(reply)
    assert status == 200
    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C111" and post.args["thread_ts"] == "1726133698.626339"


async def test_channel_messages_outside_threads_and_mentions_in_threads_are_left_to_app_mention(app, slack):
    top = event("event_callback.message.im.bolt-python.json", channel="C111", channel_type="channel",
                text="Title: chatter", thread_ts=None)
    top["event_id"] = "Ev-top"
    await app.post_event(top)
    mention = event("event_callback.message.im.bolt-python.json", channel="C111", channel_type="channel",
                    text="<@UBOTT111> Title: mentioned", thread_ts="1726133698.626339")
    mention["event_id"] = "Ev-mention-message"
    await app.post_event(mention)
    await asyncio.sleep(0.3)
    assert slack.calls_to("chat.postMessage") == []


async def test_every_sample_is_accepted_as_slack_sends_it(app, slack):
    for name in ("event_callback.app_mention.slack-docs.json", "event_callback.message.im.slack-docs.json",
                 "event_callback.app_mention.bolt-python.json"):
        status, _ = await app.post_event(sample(name))
        assert status == 200, name
    docs_mention = sample("event_callback.app_mention.slack-docs.json")
    posts = await slack.wait_for("chat.postMessage", 3)
    assert any(p.args.get("thread_ts") == docs_mention["event"]["ts"] for p in posts)
    assert all("<@U0LAN0Z89>" not in posted_text(p) for p in posts)


async def test_a_button_that_is_not_ours_gets_a_short_answer_in_the_thread(app, slack):
    status, _ = await app.post_interaction(sample("block_actions.bolt-python.json"))
    assert status == 200
    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C111" and post.args["thread_ts"] == "111.222"
    assert "button" in post.args["text"]


async def test_an_unknown_slash_command_is_a_json_404(app, slack):
    status, answer = await app.post_form(dict(parse_qsl(sample("slash_command.bolt-python.form-urlencoded.txt"))))
    assert status == 404 and "error" in answer
    assert slack.calls_to("chat.postMessage") == []


def test_files_shared_with_a_message_reach_the_core_as_references():
    from adapters.slack.translate import message_event
    from bot.seam import Attachment

    event = {"type": "message", "subtype": "file_share", "channel": "D1", "channel_type": "im", "user": "U1",
             "text": "the log", "files": [{"name": "trace.log", "mimetype": "text/plain",
                                           "url_private": "https://files.slack.com/files-pri/T1-F1/trace.log"}]}
    built = message_event("T1", event, key="e1", bot_user_id="UBOT", thread=None)
    assert built.attachments == (Attachment("trace.log", "text/plain", "https://files.slack.com/files-pri/T1-F1/trace.log"),)


@pytest.mark.parametrize("status", [500, 429])
async def test_an_event_that_arrives_while_auth_test_fails_is_refused_for_redelivery(app, slack, status):
    # Found by the soak test: bolt acknowledged the event with a 200 and ran no listener, so the ticket was lost.
    slack.refuse_next(status, method="auth.test", retry_after="1" if status == 429 else None)
    body = event("event_callback.message.im.bolt-python.json", text="Title: Badge reader dead", thread_ts=None)
    answered, error = await app.post_event(body)
    assert answered == 503 and "auth.test" in error["error"]
    assert await app.services.tickets.list() == []
    redelivered, _ = await app.post_event(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"})
    assert redelivered == 200
    await slack.wait_for("chat.postMessage")
    assert [t.title for t in await app.services.tickets.list()] == ["Badge reader dead"]
