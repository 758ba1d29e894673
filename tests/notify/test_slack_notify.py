"""Notifications through the real Slack port and the Web API stub: updates threaded under the ticket's first
card (`thread_ts`) and that card edited in place (`chat.update`) to the ticket's current state."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.desk.principal import CLI_ADMIN, Principal
from tests.fakes.slack_api import SlackApiStub
from tests.notify.helpers import FAST_OUTBOX
from tests.notify.teams_desk import wait_for
from tests.slack.helpers import TEAM, SlackApp, event, serve_slack

CHANNEL = "C111"  # the mention sample's channel


def _status(call) -> str:
    """The Status field of the ticket card a chat.postMessage / chat.update call carried."""
    fields = [f["text"] for b in call.args["blocks"] if b["type"] == "section" for f in b.get("fields", [])]
    return next(f.removeprefix("*Status*\n") for f in fields if f.startswith("*Status*"))


@pytest.fixture
async def slack() -> AsyncIterator[SlackApiStub]:
    async with SlackApiStub() as stub:
        stub.users["W222"] = {"id": "W222", "name": "megan", "real_name": "Megan Bowen",
                              "profile": {"real_name": "Megan Bowen", "email": "megan@example.com"}}
        yield stub


@pytest.fixture
async def app(sqlite_url, slack) -> AsyncIterator[SlackApp]:
    async with serve_slack(sqlite_url, slack, **FAST_OUTBOX) as served_app:
        yield served_app


async def test_updates_are_threaded_under_the_first_card_and_that_card_is_edited(app, slack):
    services = app.services
    megan = await services.members.add("Megan", "megan@example.com", is_admin=True)
    await services.members.link("megan@example.com", "slack", f"{TEAM}:W222")
    hello = event("event_callback.app_mention.bolt-python.json", text="<@UBOTT111> help")
    assert (await app.post_event(hello))[0] == 200
    await slack.wait_for("chat.postMessage")
    recipient = await services.recipients.add("slack", CHANNEL, "#helpdesk")
    await services.rules.add("Service Desk", recipient["id"], on_update=True)
    slack.calls.clear()

    await services.tickets.create(CLI_ADMIN, title="Projector in room 4 is dead")
    [card] = await wait_for(lambda: [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL])
    assert "thread_ts" not in card.args and "New ticket #1" in card.args["text"]
    assert card.token == f"xoxb-{TEAM}"
    root = card.answer["ts"]

    await services.tickets.set_status(Principal(name=megan.name, member_id=megan.id), 1, "In Progress")
    [reply] = await wait_for(
        lambda: [c for c in slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == root]
    )
    [edit] = slack.calls_to("chat.update")
    assert (edit.args["channel"], edit.args["ts"]) == (CHANNEL, root)
    assert (_status(card), _status(edit)) == ("New", "In Progress")
    assert slack.calls.index(edit) < slack.calls.index(reply)  # the card is current before the update is announced
    assert reply.args["channel"] == CHANNEL
    assert reply.args["text"] == "#1 Projector in room 4 is dead: status New → In Progress (by Megan)"
    top_level = [c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c.args]
    assert top_level == [card]  # no second card in the channel
