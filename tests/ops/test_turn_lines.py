"""Where a turn's fields are logged when its request is answered before the turn runs: Slack acks at once and
works after the ack, so its request line is out first and the turn writes a `turn` line of its own, with the
platform, conversation, event key and ticket. Exactly one line carries them."""

from __future__ import annotations

import logging

from tests.fakes.slack_api import SlackApiStub
from tests.slack.helpers import event, serve_slack


async def test_a_slack_turn_after_the_ack_writes_its_own_line(sqlite_url, caplog):
    caplog.set_level(logging.INFO)
    async with SlackApiStub() as slack, serve_slack(sqlite_url, slack) as app:
        body = event("event_callback.message.im.bolt-python.json", text="Title: VPN down", thread_ts=None)
        status, _ = await app.post_event(body)
        assert status == 200
        await slack.wait_for("chat.postMessage")
    requests = [r for r in caplog.records if r.name == "ticketbot.access" and r.route == "/slack/events"]
    turns = [r for r in caplog.records if r.getMessage().startswith("turn")]
    assert len(requests) == 1 and len(turns) == 1
    [turn] = turns
    assert (turn.platform, turn.conversation, turn.ticket) == ("slack", body["event"]["channel"], 1)
    assert body["event_id"] in turn.event_key
    assert f"platform=slack conversation={body['event']['channel']} ticket=1" in turn.getMessage()
    assert not hasattr(requests[0], "platform")  # the request line was out before the turn began
