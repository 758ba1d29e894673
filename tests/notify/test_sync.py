"""`ticketbot sync`: the Webex spaces and Slack channels the bot is in become recipients, people matched to
members by email, through the real Webex and Slack SDK clients against their stubs."""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli.main import app
from tests.fakes.slack_api import SlackApiStub, bot_token
from tests.fakes.webex_api import BOT_ID, WebexApiStub

SPACE, ALICE_ROOM, STRANGER_ROOM = "Y2lzY29zcGFyazovL3VzL1JPT00vc3BhY2U", "Y2lzY29zcGFyazovL3VzL1JPT00vYWxpY2U", \
    "Y2lzY29zcGFyazovL3VzL1JPT00vc3RyYW5nZXI"
ALICE_WEBEX = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ"


def _fill(webex: WebexApiStub, slack: SlackApiStub) -> None:
    webex.rooms = {
        SPACE: {"id": SPACE, "title": "Helpdesk space", "type": "group"},
        ALICE_ROOM: {"id": ALICE_ROOM, "title": "Alice Adams", "type": "direct"},
        STRANGER_ROOM: {"id": STRANGER_ROOM, "title": "Sam Stranger", "type": "direct"},
    }
    bot = {"personId": BOT_ID, "personEmail": "ticketbot@webex.bot", "personDisplayName": "Ticketbot"}
    webex.memberships = [
        {"roomId": ALICE_ROOM, **bot},
        {"roomId": ALICE_ROOM, "personId": ALICE_WEBEX, "personEmail": "Alice@Example.com",
         "personDisplayName": "Alice Adams"},
        {"roomId": STRANGER_ROOM, **bot},
        {"roomId": STRANGER_ROOM, "personId": "stranger", "personEmail": "sam@elsewhere.example",
         "personDisplayName": "Sam Stranger"},
    ]
    slack.channels = [
        {"id": "C0HELP", "name": "helpdesk", "is_channel": True},
        {"id": "G0OPS", "name": "ops", "is_channel": True, "is_private": True},
        {"id": "D0MEGAN", "is_im": True, "user": "W222"},
    ]
    slack.users["W222"] = {"id": "W222", "name": "megan", "profile": {"real_name": "Megan Bowen",
                                                                      "email": "megan@example.com"}}


async def test_sync_makes_spaces_channels_and_members_dms_recipients_once(sqlite_services, sqlite_url):
    services = sqlite_services
    await services.members.add("Alice", "alice@example.com")
    await services.members.add("Megan", "megan@example.com")
    runner = CliRunner()
    async with WebexApiStub() as webex, SlackApiStub() as slack:
        _fill(webex, slack)
        env = {"DATABASE_URL": sqlite_url, "WEBEX_ACCESS_TOKEN": "webex-token", "WEBEX_API_URL": webex.api_url,
               "SLACK_BOT_TOKEN": bot_token("T111"), "SLACK_API_URL": slack.api_url}
        first = await asyncio.to_thread(runner.invoke, app, ["sync", "--webex", "--slack"], env=env)
        again = await asyncio.to_thread(runner.invoke, app, ["sync"], env=env)
        [listed] = slack.calls_to("users.conversations")[:1]
    assert first.exit_code == 0, first.output
    assert "5 recipients added, 1 person skipped" in first.stdout
    assert "skipped webex" in first.stdout and "sam@elsewhere.example" in first.stdout
    assert again.exit_code == 0 and "0 recipients added" in again.stdout, again.output
    assert set(listed.args["types"].split(",")) == {"public_channel", "private_channel", "mpim", "im"}
    alice, megan = [await services.members.by_email(e) for e in ("alice@example.com", "megan@example.com")]
    assert alice and megan
    with sqlite3.connect(make_url(sqlite_url).database) as db:
        rows = db.execute(
            "SELECT r.name, r.kind, c.platform, c.conversation_id, c.scope, r.member_id FROM recipients r "
            "JOIN conversations c ON c.id = r.conversation_id ORDER BY r.id"
        ).fetchall()
    assert rows == [
        ("Helpdesk space", "room", "webex", SPACE, "group", None),
        ("Alice Adams", "person", "webex", ALICE_ROOM, "personal", alice.id),
        ("#helpdesk", "room", "slack", "C0HELP", "channel", None),
        ("#ops", "room", "slack", "G0OPS", "channel", None),
        ("Megan Bowen", "person", "slack", "D0MEGAN", "personal", megan.id),
    ]
    assert await services.members.by_identity("webex", ALICE_WEBEX) is not None  # matched by email, linked
    assert await services.members.by_identity("slack", "T111:W222") is not None


async def test_sync_without_a_token_says_which_and_stores_nothing(sqlite_services, sqlite_url):
    runner = CliRunner()
    done = await asyncio.to_thread(
        runner.invoke, app, ["sync", "--slack"], env={"DATABASE_URL": sqlite_url, "SLACK_BOT_TOKEN": ""}
    )
    assert done.exit_code == 1 and "SLACK_BOT_TOKEN is not set" in done.output
    assert await sqlite_services.recipients.list() == []


async def test_a_refusing_webex_is_one_line_and_stores_nothing(sqlite_services, sqlite_url):
    runner = CliRunner()
    async with WebexApiStub() as webex:
        webex.refuse_next(401)
        env = {"DATABASE_URL": sqlite_url, "WEBEX_ACCESS_TOKEN": "bad", "WEBEX_API_URL": webex.api_url}
        done = await asyncio.to_thread(runner.invoke, app, ["sync", "--webex"], env=env)
    assert done.exit_code == 1 and "Webex refused: Webex answered HTTP 401" in done.output
    assert await sqlite_services.recipients.list() == []


async def test_a_missing_slack_scope_is_named_and_stores_nothing(sqlite_services, sqlite_url):
    runner = CliRunner()
    async with SlackApiStub() as slack:
        slack.refuse_next(error="missing_scope", method="users.conversations")
        env = {"DATABASE_URL": sqlite_url, "SLACK_BOT_TOKEN": bot_token("T111"), "SLACK_API_URL": slack.api_url}
        done = await asyncio.to_thread(runner.invoke, app, ["sync", "--slack"], env=env)
    assert done.exit_code == 1 and "Slack refused" in done.output and "missing_scope" in done.output
    assert await sqlite_services.recipients.list() == []
