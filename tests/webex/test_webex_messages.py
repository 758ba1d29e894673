"""Webex messages through the real app: 1:1 and group spaces, mentions, the bot's own messages, redelivery,
files, membership (welcome, removal), and what Webex's API stub received."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Identity, SeenEvent
from tests.fakes.webex_api import BOT, BOT_ID
from tests.webex.helpers import DIRECT, GROUP, card_of, check_card, sample, variant

MENTION = f'<spark-mention data-object-type="person" data-object-id="{BOT_ID}">Ticketbot</spark-mention>'


async def test_direct_message_opens_a_ticket_and_answers_in_the_space(webex):
    webhook = sample(DIRECT)
    webex.message(webhook, text="Title: Printer on 3 is jammed")
    assert await webex.post(webhook) == (200, {"status": "ok"})
    data = webhook["data"]
    assert webex.webex.fetched()[:2] == ["/v1/people/me", f"/v1/messages/{data['id']}"]
    [posted] = webex.webex.posted()
    assert posted["roomId"] == data["roomId"] and "parentId" not in posted
    check_card(card_of(posted))
    assert "Printer on 3 is jammed" in posted["markdown"]
    [ticket] = await webex.services.tickets.list()
    assert ticket.title == "Printer on 3 is jammed"
    ref = await webex.services.conversations.get("webex", data["roomId"])
    assert ref is not None and ref.scope == "personal"
    assert ref.data["person_id"] == data["personId"]


async def test_the_sender_is_linked_to_a_member_by_email(webex):
    await webex.services.members.add("Jarda Martan", "jmartan@cisco.com")
    webhook = sample(DIRECT)
    webex.message(webhook, text="Title: VPN drops every hour")
    await webex.post(webhook)
    member = await webex.services.members.by_identity("webex", webhook["data"]["personId"])
    assert member is not None and member.email == "jmartan@cisco.com"


async def test_the_sender_is_named_from_the_people_api(webex):
    webhook = sample(DIRECT)
    person = webhook["data"]["personId"]
    webex.webex.people[person] = {"id": person, "displayName": "Jarda Martan", "emails": ["jmartan@cisco.com"]}
    webex.message(webhook, text="Title: Badge reader broken")
    await webex.post(webhook)
    assert f"/v1/people/{person}" in webex.webex.fetched()
    async with webex.services.db.sessions() as session:
        identity = await session.scalar(select(Identity).where(Identity.user_id == person))
    assert identity is not None and (identity.name, identity.email) == ("Jarda Martan", "jmartan@cisco.com")


async def test_group_message_with_the_mention_is_answered_without_it(webex):
    webhook = sample(GROUP)
    webex.message(webhook, roomType="group", mentionedPeople=[BOT_ID],
                  text="Ticketbot Title: Projector in room 4 is dead",
                  html=f"<p>{MENTION} Title: Projector in room 4 is dead</p>")
    assert (await webex.post(webhook))[0] == 200
    [posted] = webex.webex.posted()
    assert posted["roomId"] == webhook["data"]["roomId"]
    check_card(card_of(posted))
    [ticket] = await webex.services.tickets.list()
    assert ticket.title == "Projector in room 4 is dead"
    ref = await webex.services.conversations.get("webex", webhook["data"]["roomId"])
    assert ref is not None and ref.scope == "group"


async def test_group_mention_without_html_drops_the_typed_name(webex):
    webhook = sample(GROUP)
    webex.message(webhook, roomType="group", mentionedPeople=[BOT_ID], text="Ticketbot Title: Wifi in lobby")
    await webex.post(webhook)
    [ticket] = await webex.services.tickets.list()
    assert ticket.title == "Wifi in lobby"


async def test_group_message_without_the_mention_is_left_alone(webex):
    webhook = sample(GROUP)
    webex.message(webhook, roomType="group", text="Title: not for the bot")
    assert await webex.post(webhook) == (200, {"status": "ignored"})
    assert webex.webex.posted() == []
    assert await webex.services.tickets.list() == []


async def test_a_reply_in_a_thread_is_answered_in_that_thread(webex):
    webhook = sample(GROUP)
    webex.message(webhook, roomType="group", mentionedPeople=[BOT_ID], parentId="ROOT-MESSAGE",
                  html=f"{MENTION} help", text="Ticketbot help")
    await webex.post(webhook)
    [posted] = webex.webex.posted()
    assert posted["parentId"] == "ROOT-MESSAGE" and posted["roomId"] == webhook["data"]["roomId"]


async def test_the_bots_own_message_is_ignored_without_fetching_it(webex):
    webhook = variant(sample(GROUP), personId=BOT_ID, personEmail=BOT["emails"][0])
    webex.message(webhook, roomType="group", text="Title: echo")
    assert await webex.post(webhook) == (200, {"status": "ignored"})
    assert webex.webex.fetched() == ["/v1/people/me"]
    assert webex.webex.posted() == [] and await webex.services.tickets.list() == []


async def test_the_bots_own_message_is_ignored_when_only_the_fetched_message_says_so(webex):
    webhook = sample(DIRECT)
    message = webex.message(webhook, text="Title: echo")
    message["personId"] = BOT_ID
    assert await webex.post(webhook) == (200, {"status": "ignored"})
    assert webex.webex.posted() == [] and await webex.services.tickets.list() == []


async def test_people_me_is_fetched_once(webex):
    for index in range(3):
        webhook = variant(sample(DIRECT), id=f"MESSAGE-{index}")
        webex.message(webhook, text="help")
        await webex.post(webhook)
    assert webex.webex.fetched().count("/v1/people/me") == 1
    assert len(webex.webex.posted()) == 3


async def test_a_redelivered_webhook_changes_nothing(webex):
    webhook = sample(DIRECT)
    webex.message(webhook, text="Title: Only once please")
    await webex.post(webhook)
    await webex.post(webhook)
    assert len(await webex.services.tickets.list()) == 1
    assert len(webex.webex.posted()) == 1
    async with webex.services.db.sessions() as session:
            keys = (await session.scalars(select(SeenEvent.key))).all()
    assert keys == [f"webex:{webhook['data']['id']}"]


async def test_the_bot_added_to_a_space_sends_the_welcome_once(webex):
    membership = {
        "id": "WEBHOOK-MEMBERSHIP", "name": "ticketbot memberships:created", "resource": "memberships",
        "event": "created", "actorId": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hZG1pbg",
        "data": {"id": "MEMBERSHIP-1", "roomId": "ROOM-NEW", "roomType": "group", "personId": BOT_ID,
                 "personEmail": BOT["emails"][0], "personDisplayName": "Ticketbot", "isModerator": False},
    }
    assert await webex.post(membership) == (200, {"status": "ok"})
    await webex.post(membership)
    [welcome] = webex.webex.posted()
    assert welcome["roomId"] == "ROOM-NEW"
    check_card(card_of(welcome))
    assert "Ticketbot" in welcome["markdown"]
    ref = await webex.services.conversations.get("webex", "ROOM-NEW")
    assert ref is not None and ref.scope == "group"


async def test_someone_else_added_to_a_space_is_ignored(webex):
    membership = {"resource": "memberships", "event": "created",
                  "data": {"id": "MEMBERSHIP-2", "roomId": "ROOM-X", "personId": "SOMEONE"}}
    assert await webex.post(membership) == (200, {"status": "ignored"})
    assert webex.webex.posted() == []
    assert await webex.services.conversations.get("webex", "ROOM-X") is None


async def test_the_bot_removed_from_a_space_forgets_it(webex):
    added = {"resource": "memberships", "event": "created",
             "data": {"id": "MEMBERSHIP-3", "roomId": "ROOM-GONE", "roomType": "group", "personId": BOT_ID}}
    assert (await webex.post(added))[0] == 200
    assert await webex.services.conversations.get("webex", "ROOM-GONE") is not None
    removed = {"resource": "memberships", "event": "deleted", "actorId": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hZG1pbg",
               "data": {"id": "MEMBERSHIP-3-deleted", "roomId": "ROOM-GONE", "roomType": "group",
                        "personId": BOT_ID}}
    assert await webex.post(removed) == (200, {"status": "ok"})
    assert await webex.services.conversations.get("webex", "ROOM-GONE") is None
    assert len(webex.webex.posted()) == 1  # the welcome; nothing is said on the way out
    someone = {"resource": "memberships", "event": "deleted",
               "data": {"id": "MEMBERSHIP-4", "roomId": "ROOM-X", "roomType": "group", "personId": "SOMEONE"}}
    assert await webex.post(someone) == (200, {"status": "ignored"})
    again = {**added, "data": {**added["data"], "id": "MEMBERSHIP-5"}}
    assert (await webex.post(again))[0] == 200  # added back: known again and welcomed again
    assert await webex.services.conversations.get("webex", "ROOM-GONE") is not None
    assert len(webex.webex.posted()) == 2
