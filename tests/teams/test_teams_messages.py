"""Teams messages through the real app: personal chat, channel and group-chat mentions, redelivery, bad input."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import make_mocked_request
from sqlalchemy import func, select

from adapters.teams.translate import CARD_CONTENT_TYPE
from bot.app import create_app
from bot.services import Services
from storage.models import Delivery, SeenEvent
from tests.helpers import make_settings
from tests.teams.helpers import MEGAN_AAD, MEGAN_ID, variant

CHANNEL = "19:6848757105754c8981c67612732d9aa7@thread.tacv2"
CHANNEL_THREAD = "1759881511856"


async def test_personal_message_is_answered_in_the_chat(teams):
    activity = teams.sample("message.personal.msteams-docs.json")
    activity["text"] = "help"
    assert await teams.post(activity) == (200, None)
    [reply] = teams.connector.activities()
    assert reply.method == "POST"
    assert reply.conversation_id == activity["conversation"]["id"]
    assert reply.activity_id == activity["id"]
    assert reply.json["replyToId"] == activity["id"]
    assert reply.json["conversation"]["id"] == activity["conversation"]["id"]
    [attachment] = reply.json["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    assert attachment["content"]["type"] == "AdaptiveCard" and attachment["content"]["version"] == "1.5"
    assert "What I can do" in str(attachment["content"]["body"])
    assert reply.json["summary"].startswith("I help you open and follow tickets")


async def test_the_sender_is_linked_to_a_member_by_the_roster_email(teams):
    await teams.services.members.add("Megan Bowen", "megan@example.com")
    activity = teams.sample("message.personal.msteams-docs.json")
    activity["text"] = "Title: Printer on 3 is jammed"
    await teams.post(activity)
    [lookup] = [r for r in teams.connector.requests if r.method == "GET"]
    assert lookup.path.endswith(f"/members/{MEGAN_ID}")
    member = await teams.services.members.by_identity("teams", MEGAN_AAD)
    assert member is not None and member.email == "megan@example.com"
    [ticket] = await teams.services.tickets.list()
    assert ticket.title == "Printer on 3 is jammed"
    card, who = teams.connector.activities()
    assert who.json["text"] == "(You are Megan Bowen on the desk.)" and card.json["attachments"]
    activity["id"] = "1481567603816-2"
    activity["text"] = "my tickets"
    await teams.post(activity)
    assert len(teams.connector.activities()) == 3, "said once, on first contact"


async def test_channel_mention_is_answered_in_the_reply_chain_without_the_mention(teams):
    activity = teams.sample("message.channel.mention-bot.teams-net.json")
    activity["text"] = "<at>ridotest</at> Title: Projector in room 4 is dead"
    assert (await teams.post(activity))[0] == 200
    [reply] = teams.connector.activities()
    assert reply.conversation_id == f"{CHANNEL};messageid={CHANNEL_THREAD}"
    assert reply.json["replyToId"] == activity["id"]
    assert reply.json["attachments"][0]["contentType"] == CARD_CONTENT_TYPE
    [ticket] = await teams.services.tickets.list()
    assert ticket.title == "Projector in room 4 is dead"
    ref = await teams.services.conversations.get("teams", CHANNEL)
    assert ref is not None and ref.scope == "channel"
    assert ref.data["team_id"] == activity["channelData"]["team"]["id"]
    assert ref.data["tenant_id"] == "50612dbb-0237-4969-b378-8d42590f9c00"
    assert ref.data["service_url"] == teams.connector.service_url


async def test_channel_message_without_the_mention_is_left_alone(teams):
    activity = teams.sample("message.channel.mention-bot.teams-net.json")
    activity["text"] = "Title: not for the bot"
    activity["entities"] = [e for e in activity["entities"] if e["type"] != "mention"]
    assert await teams.post(activity) == (200, None)
    assert teams.connector.requests == []
    assert await teams.services.tickets.list() == []


async def test_group_chat_answers_only_when_mentioned(teams):
    mention = teams.sample("message.channel.mention-bot.teams-net.json")
    group = variant(
        mention,
        conversation={"id": "19:meeting_abc@thread.v2", "conversationType": "groupChat", "isGroup": True},
        channelData={"tenant": mention["channelData"]["tenant"]},
    )
    group["text"] = "<at>ridotest</at> help"
    assert (await teams.post(group))[0] == 200
    silent = variant(group, id="1759944781999", text="help", entities=[])
    assert (await teams.post(silent))[0] == 200
    [reply] = teams.connector.activities()
    assert reply.conversation_id == "19:meeting_abc@thread.v2"
    ref = await teams.services.conversations.get("teams", "19:meeting_abc@thread.v2")
    assert ref is not None and ref.scope == "group"


async def test_other_mentions_reach_the_core_as_people(teams):
    await teams.services.members.add("Megan Bowen", "megan@example.com")
    await teams.services.members.add("Admin", "admin@example.com", is_admin=True)
    author = "29:admin"
    teams.connector.members[author] = {"id": author, "aadObjectId": "aad-admin", "email": "admin@example.com"}
    activity = teams.sample("message.channel.mention-bot.teams-net.json")
    activity["from"] = {"id": author, "name": "Admin", "aadObjectId": "aad-admin"}
    activity["text"] = "<at>ridotest</at> Title: Laptop fan is loud"
    await teams.post(activity)
    await teams.services.members.link("megan@example.com", "teams", MEGAN_AAD)
    assign = variant(activity, id="1759944781431", text="<at>ridotest</at> assign 1 to <at>Megan Bowen</at>")
    assign["entities"] = [*activity["entities"], {"type": "mention", "text": "<at>Megan Bowen</at>",
                                                  "mentioned": {"id": MEGAN_ID, "name": "Megan Bowen"}}]
    await teams.post(assign)
    [ticket] = await teams.services.tickets.list()
    assert [m.name for m in ticket.assignees] == ["Megan Bowen"]


async def test_a_redelivered_activity_is_answered_once(teams):
    activity = teams.sample("message.personal.sentry.json")
    activity["text"] = "Title: Monitor flickers"
    for _ in range(3):
        assert (await teams.post(activity))[0] == 200
    assert len(teams.connector.activities()) == 1
    assert len(await teams.services.tickets.list()) == 1
    async with teams.services.db.sessions() as session:
        keys = (await session.scalars(select(SeenEvent.key))).all()
    assert keys == [f"teams:{activity['conversation']['id']}:{activity['id']}"]


async def test_bad_bodies_get_400_and_change_nothing(teams):
    good = teams.sample("message.personal.sentry.json")
    cases = [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"a string"',
        b"{}",
        variant(good, type=None),
        variant(good, conversation="not an object"),
        variant(good, conversation={"id": 42}),
        variant(good, serviceUrl=None),
        variant(good, **{"from": {}}),
        variant(good, timestamp="yesterday"),
        variant(good, entities="nope"),
    ]
    for case in cases:
        data = case if isinstance(case, bytes) else None
        status, body = await teams.post(case, data=data)
        assert status == 400, case
        assert isinstance(body["error"], str) and body["error"], case
    assert teams.connector.requests == []
    async with teams.services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SeenEvent)) == 0


async def test_unrelated_activities_are_acknowledged_silently(teams):
    typing = variant(teams.sample("message.personal.sentry.json"), type="typing", text=None)
    reaction = variant(typing, type="messageReaction", reactionsAdded=[{"type": "like"}])
    for activity in (typing, reaction):
        assert await teams.post(activity) == (200, None)
    assert teams.connector.requests == []


async def test_a_refused_reply_is_answered_200_and_goes_to_the_outbox(teams):
    activity = teams.sample("message.personal.sentry.json")
    activity["text"] = "help"
    teams.connector.refuse_next(404)  # the roster lookup: tolerated
    teams.connector.refuse_next(503)  # the reply
    status, _ = await teams.post(activity)
    assert status == 200
    for _ in range(100):  # the outbox worker sends the deferred reply
        async with teams.services.db.sessions() as session:
            [queued] = (await session.scalars(select(Delivery))).all()
        if queued.state == "sent":
            break
        await asyncio.sleep(0.05)
    assert (queued.state, queued.attempts, queued.last_error) == ("sent", 2, "The Bot Connector answered HTTP 503.")
    replies = [r for r in teams.connector.activities() if r.method == "POST"]
    assert [r.status for r in replies] == [503, 201]
    assert replies[0].json["attachments"] == replies[1].json["attachments"]


async def test_local_mode_refuses_callers_from_elsewhere(sqlite_url):
    services = Services(make_settings(sqlite_url))
    app = create_app(services, upgrade=False)
    [route] = [r for r in app.router.routes() if r.resource.canonical == "/api/messages"]
    request = make_mocked_request(
        "POST", "/api/messages", headers={"Content-Type": "application/json"}, transport=_Peer("203.0.113.9"), app=app
    )
    response = await route.handler(request)
    assert response.status == 401 and b"local callers" in response.body
    await services.close()


class _Peer:
    """A transport whose peer is another machine."""

    def __init__(self, host: str) -> None:
        self.host = host

    def get_extra_info(self, name, default=None):
        return (self.host, 50000) if name == "peername" else default

    def is_closing(self) -> bool:
        return False


async def test_an_image_alone_opens_a_draft_and_the_file_stays_on_the_ticket(teams):
    from storage.models import Attachment

    image = {"contentType": "image/png", "contentUrl": "https://smba.example/v3/attachments/a1/views/original",
             "name": "Screenshot 2026-12-01.png"}
    activity = teams.sample("message.personal.msteams-docs.json")
    activity.update(text="", attachments=[image, {"contentType": "text/html", "content": "<p></p>"}])
    assert (await teams.post(activity))[0] == 200
    draft = teams.connector.activities()[-1].json
    assert "Screenshot 2026-12-01" in str(draft["attachments"][0]["content"])
    confirm = teams.sample("message.personal.msteams-docs.json")
    confirm.update(id="confirm-1", text="yes")
    assert (await teams.post(confirm))[0] == 200
    assert "Attachments: Screenshot 2026-12-01.png" in str(teams.connector.activities()[-1].json)
    async with teams.services.db.sessions() as session:
        [row] = (await session.scalars(select(Attachment))).all()
    assert (row.name, row.content_type, row.url) == (image["name"], "image/png", image["contentUrl"])
