"""Installs and uninstalls, and proactive sends from stored references: after a restart, in a new process."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap

import pytest

from bot.seam import Actor, ConversationRef, DeliveryError, MessageRef, OutboundMessage
from cards.builders import welcome_card
from tests.teams.helpers import TESTS, serve_teams

PERSONAL_ADD = "conversationUpdate.bot-added-personal.sentry.json"
TEAM_ADD = "conversationUpdate.bot-added-to-team.sentry.json"
TEAM_REMOVE = "conversationUpdate.bot-removed-from-team.sentry.json"
TEAM_CHANNEL = "19:8d46058cda57449380517cc374727f2a@thread.tacv2"
PERSONAL = ("a:1rLdrbRhx8Pc7Y6HNUmkI6QHZ4vUe1dECseFMsjCLUs61NUCtDKvf_iXhzX96AJlIFs7WgQUzTrjV3iMjbON0UfMV_gNh2tUNgHj"
            "_iY5hQoYdFu_t-hTt-uDl7m6_X4-Z")
STEVE_AAD = "a6de2a64-9501-4e16-9e50-74df223570a3"


async def test_install_in_a_team_stores_the_reference_and_sends_the_welcome_card(teams):
    assert await teams.post(teams.sample(TEAM_ADD)) == (200, None)
    [welcome] = teams.connector.activities()
    assert welcome.conversation_id == TEAM_CHANNEL
    assert welcome.json["attachments"][0]["content"]["body"][0]["text"] == "Hi, I'm Ticketbot"
    ref = await teams.services.conversations.get("teams", TEAM_CHANNEL)
    assert ref is not None and ref.scope == "channel"
    assert ref.data == {
        "service_url": teams.connector.service_url,
        "channel": "msteams",
        "tenant_id": "f5ffd8cf-a1aa-4242-adad-86509faa3be5",
        "bot_id": "28:5710acff-f313-453f-8b75-44fff54bab14",
        "bot_name": "Steve-Bot-5",
        "team_id": TEAM_CHANNEL,
    }


async def test_install_announced_twice_welcomes_once(teams):
    docs = teams.sample("conversationUpdate.bot-added-to-team.msteams-docs.json")
    again = teams.sample("installationUpdate.add.team.msteams-docs.json")
    again["recipient"] = docs["recipient"]
    await asyncio.gather(teams.post(docs), teams.post(again))
    assert len(teams.connector.activities()) == 1
    ref = await teams.services.conversations.get("teams", docs["conversation"]["id"])
    assert ref is not None and ref.data["teams_channel_id"] == docs["conversation"]["id"]


async def test_uninstall_forgets_the_conversation_and_says_nothing(teams):
    await teams.post(teams.sample(TEAM_ADD))
    assert await teams.post(teams.sample(TEAM_REMOVE)) == (200, None)
    assert await teams.services.conversations.get("teams", TEAM_CHANNEL) is None
    assert len(teams.connector.activities()) == 1
    remove = teams.sample("installationUpdate.add.team.msteams-docs.json") | {"action": "remove", "id": "f:rm"}
    await teams.post(teams.sample("installationUpdate.add.team.msteams-docs.json"))
    assert await teams.services.conversations.get("teams", remove["conversation"]["id"]) is not None
    await teams.post(remove)
    assert await teams.services.conversations.get("teams", remove["conversation"]["id"]) is None


async def test_a_reinstall_welcomes_again(teams):
    await teams.post(teams.sample(TEAM_ADD))
    await teams.post(teams.sample(TEAM_REMOVE))
    await teams.post(teams.sample(TEAM_ADD) | {"id": "f:reinstalled"})
    assert len(teams.connector.activities()) == 2
    assert await teams.services.conversations.get("teams", TEAM_CHANNEL) is not None


PROACTIVE_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    from aiohttp import web
    from bot.app import create_app
    from bot.seam import OutboundMessage
    from bot.services import Services
    from bot.settings import Settings
    from cards.model import Card, Text

    async def main(url, conversation):
        services = Services(Settings(_env_file=None, database_url=url))
        runner = web.AppRunner(create_app(services))
        await runner.setup()
        try:
            ref = await services.conversations.get("teams", conversation)
            card = Card("Ticket #7 changed", (Text("Status: In Progress"),))
            sent = await services.ports["teams"].send(ref, OutboundMessage("#7 is in progress", card))
            print(json.dumps({"message_id": sent.message_id, "thread": sent.conversation.thread_id}))
        finally:
            await runner.cleanup()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_proactive_card_after_a_restart_in_a_new_process(sqlite_url, connector):
    async with serve_teams(sqlite_url, connector) as first:
        await first.post(first.sample(TEAM_ADD))
        await first.post(first.sample(PERSONAL_ADD))
    assert len(connector.activities()) == 2
    for conversation, scope in ((TEAM_CHANNEL, "channel"), (PERSONAL, "personal")):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", PROACTIVE_SCRIPT, sqlite_url, conversation,
            cwd=TESTS.parent, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        sent = json.loads(out.decode().splitlines()[-1])
        posted = connector.activities()[-1]
        assert posted.method == "POST" and posted.path.endswith("/activities")
        assert posted.conversation_id == conversation and posted.activity_id is None
        assert "replyToId" not in posted.json
        assert posted.json["attachments"][0]["content"]["body"][0]["text"] == "Ticket #7 changed"
        assert posted.json["summary"] == "#7 is in progress"
        assert sent["message_id"] == posted.answer["id"]
        assert sent["thread"] == (posted.answer["id"] if scope == "channel" else None)


async def test_port_sends_into_a_thread_and_edits_a_card(teams):
    await teams.post(teams.sample(TEAM_ADD))
    port = teams.services.ports["teams"]
    ref = await teams.services.conversations.get("teams", TEAM_CHANNEL)
    first = await port.send(ref, OutboundMessage("New ticket #1", welcome_card("x")))
    assert first.conversation.thread_id == first.message_id
    reply = await port.send(first.conversation, OutboundMessage("#1 was assigned"))
    posted = teams.connector.activities()[-1]
    assert posted.conversation_id == f"{TEAM_CHANNEL};messageid={first.message_id}"
    assert posted.json["text"] == "#1 was assigned" and posted.json["textFormat"] == "plain"
    assert reply.conversation.thread_id == first.message_id
    edited = await port.update(first, OutboundMessage("#1 in progress", welcome_card("y")))
    assert edited == first
    put = teams.connector.requests[-1]
    assert put.method == "PUT" and put.activity_id == first.message_id
    assert put.json["id"] == first.message_id
    assert put.json["attachments"][0]["content"]["body"][0]["text"] == "Hi, I'm y"


async def test_port_reports_refusals_with_status_and_retry_after(teams):
    await teams.post(teams.sample(TEAM_ADD))
    port = teams.services.ports["teams"]
    ref = await teams.services.conversations.get("teams", TEAM_CHANNEL)
    teams.connector.refuse_next(429, retry_after="7")
    with pytest.raises(DeliveryError) as refused:
        await port.send(ref, OutboundMessage("hello"))
    assert refused.value.status == 429 and refused.value.retry_after == 7.0
    gone = ConversationRef("teams", "19:gone", None, "channel", {"service_url": "http://127.0.0.1:9/"})
    with pytest.raises(DeliveryError) as unreachable:
        await port.send(gone, OutboundMessage("hello"))
    assert unreachable.value.status is None
    with pytest.raises(DeliveryError, match="serviceUrl") as permanent:
        await port.send(ConversationRef("teams", "19:bare"), OutboundMessage("hello"))
    assert permanent.value.permanent


async def test_open_direct_reuses_a_stored_chat_or_creates_one(teams):
    port = teams.services.ports["teams"]
    with pytest.raises(DeliveryError) as nowhere:
        await port.open_direct(Actor("teams", "aad-nobody"))
    assert nowhere.value.permanent
    await teams.post(teams.sample(PERSONAL_ADD))
    await teams.post(teams.sample(TEAM_ADD))
    steve = await port.open_direct(Actor("teams", STEVE_AAD, "Steve"))
    assert steve.conversation_id == PERSONAL
    assert teams.connector.requests[-1].method == "POST"  # the welcome card, no new conversation
    other = await port.open_direct(Actor("teams", "aad-megan", "Megan"))
    created = teams.connector.requests[-1]
    assert created.path == "/v3/conversations"
    assert created.json["bot"]["id"] == "28:5710acff-f313-453f-8b75-44fff54bab14"
    assert created.json["members"] == [{"id": "aad-megan"}]
    assert created.json["isGroup"] is False
    assert created.json["channelData"] == {"tenant": {"id": "f5ffd8cf-a1aa-4242-adad-86509faa3be5"}}
    assert other.conversation_id == created.answer["id"] and other.scope == "personal"
    assert await port.open_direct(Actor("teams", "aad-megan", "Megan")) == other
    sent = await port.send(other, OutboundMessage("Ticket #3 was assigned to you"))
    assert teams.connector.activities()[-1].conversation_id == other.conversation_id
    assert sent == MessageRef(other, teams.connector.activities()[-1].answer["id"])
    with pytest.raises(DeliveryError):
        await port.open_direct(Actor("slack", "U1"))


async def test_the_outbox_paces_a_teams_conversation_by_its_tenant(teams):
    added = teams.sample(TEAM_ADD)
    await teams.post(added)
    ref = await teams.services.conversations.get("teams", TEAM_CHANNEL)
    assert teams.services.ports["teams"].account(ref) == added["channelData"]["tenant"]["id"]
