"""The Teams message extension: "Create ticket" on a message (fetchTask → task module, submitAction → the
ticket and its card in the message's reply chain) and "Find a ticket" (query → ticket cards as results)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from adapters.teams.translate import CARD_CONTENT_TYPE
from bot.desk.principal import CLI_ADMIN
from tests.teams.helpers import MEGAN_AAD, MEGAN_ID, TeamsApp
from tests.teams.test_teams_cards import validate_card

FETCH = "invoke.composeExtension-fetchTask.channel-reply.msteams-docs.json"
SUBMIT = "invoke.composeExtension-submitAction.channel-reply.msteams-docs.json"
QUERY = "invoke.composeExtension-query.channel.msteams-docs.json"
OLO_ID = "29:1aBjVi5MwCFfhPIV03E5uDdfpBFXp_2Yz-sjrvVg12oavg96cqpE_DiMhOpmN9zHeZpYbJcuUEKuSDy2AYWPz1A"
OLO_AAD = "b130c271-d2eb-45f9-83ab-9eb3fe3788bc"
THREAD = "19:6decf54d86d945e4b3924b63a9161a78@thread.skype;messageid=1611060744833"
LINK = "https://teams.microsoft.com/l/message/19:6decf54d86d945e4b3924b63a9161a78@thread.skype/1611060744833"
MEGANS_MESSAGE = "<p>Printer on the 3rd floor jammed</p><p>It shows E42 &amp; beeps.</p>"


@pytest.fixture(autouse=True)
def olo(teams: TeamsApp) -> None:
    """Olo, who uses the message extension, is in the team's roster (not a desk member)."""
    teams.connector.members[OLO_ID] = {"id": OLO_ID, "name": "Olo Brockhouse", "aadObjectId": OLO_AAD,
                                       "email": "olo@example.com"}


def by_megan(invoke: dict[str, Any], html: str = MEGANS_MESSAGE) -> dict[str, Any]:
    """The invoke as if the message it was used on were Megan's, with this HTML body."""
    changed = copy.deepcopy(invoke)
    payload = changed["value"]["messagePayload"]
    payload["from"]["user"] = {"userIdentityType": "aadUser", "id": MEGAN_AAD, "displayName": "Megan Bowen"}
    payload["body"] = {"contentType": "html", "content": html}
    payload["mentions"] = []
    return changed


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}


async def test_fetch_task_answers_with_the_prefilled_create_form(teams):
    status, body = await teams.post(by_megan(teams.sample(FETCH)))
    assert status == 200
    card = body["task"]["value"].pop("card")
    assert body == {"task": {"type": "continue", "value": {"title": "Create ticket", "height": "large", "width": "medium"}}}
    assert card["contentType"] == CARD_CONTENT_TYPE
    form = card["content"]
    validate_card(form)
    assert form["version"] == "1.5"
    fields = inputs(form)
    assert fields["title"]["value"] == "Printer on the 3rd floor jammed"
    assert fields["description"]["value"] == "Printer on the 3rd floor jammed\nIt shows E42 & beeps."
    assert [c["value"] for c in fields["priority"]["choices"]] == ["low", "medium", "high", "critical"]
    texts = [e["text"] for e in form["body"] if e["type"] == "TextBlock"]
    assert any("Megan Bowen" in t for t in texts)
    assert any("teams.microsoft.com/l/message/" in t for t in texts)
    [submit] = form["actions"]
    assert submit["type"] == "Action.Submit" and submit["data"] == {"action": "ticket.create"}
    assert teams.connector.activities() == [], "the form goes to the user only"


async def test_fetch_task_of_the_documented_message(teams):
    status, body = await teams.post(teams.sample(FETCH))
    assert status == 200
    form = body["task"]["value"]["card"]["content"]
    validate_card(form)
    assert inputs(form)["title"]["value"] == "Testing outgoing Webhook-Nikitha - Hi"


async def test_submit_action_creates_the_ticket_for_the_author_and_posts_its_card_in_the_thread(teams):
    await teams.services.members.add("Megan Bowen", "megan@example.com")
    submit = by_megan(teams.sample(SUBMIT))
    submit["value"]["data"] = {"action": "ticket.create", "title": "Printer on the 3rd floor jammed",
                               "description": "It shows E42 & beeps.", "priority": "high"}
    status, body = await teams.post(submit)
    assert (status, body) == (200, {})
    [ticket] = await teams.services.tickets.list()
    assert ticket.title == "Printer on the 3rd floor jammed" and ticket.priority == "high"
    assert ticket.description == f"It shows E42 & beeps.\n\nFrom a Teams message: {LINK}"
    assert ticket.requester_name == "Megan Bowen" and ticket.requester_member_id is not None
    [posted] = teams.connector.activities()
    assert posted.method == "POST" and posted.conversation_id == THREAD
    card = posted.json["attachments"][0]["content"]
    validate_card(card)
    assert "Created ticket #1." in json.dumps(card)
    assert card["refresh"]["action"]["verb"] == "ticket.show" and card["refresh"]["action"]["data"]["ticket"] == 1
    assert await teams.post(submit) == (200, {})
    assert len(await teams.services.tickets.list()) == 1, "a redelivered submit creates nothing"
    assert len(teams.connector.activities()) == 1, "and posts nothing"


async def test_submit_action_without_a_title_says_so_and_changes_nothing(teams):
    submit = teams.sample(SUBMIT)
    submit["value"]["data"] = {"action": "ticket.create", "title": "  ", "description": "x"}
    status, body = await teams.post(submit)
    assert status == 200
    assert body == {"task": {"type": "message", "value": "The ticket needs a title: fill it in and press Create again."}}
    assert await teams.services.tickets.list() == []
    assert teams.connector.activities() == []


async def test_an_unknown_command_is_a_json_400(teams):
    fetch = teams.sample(FETCH)
    fetch["value"]["commandId"] = "somethingElse"
    status, body = await teams.post(fetch)
    assert status == 400 and "somethingElse" in body["error"]


async def test_query_returns_the_matching_ticket_cards_as_results(teams):
    await teams.services.members.add("Olo Brockhouse", "olo@example.com")
    for title in ("Printer jammed", "Printer out of toner", "VPN drops"):
        await teams.services.tickets.create(CLI_ADMIN, title=title)
    status, body = await teams.post(teams.sample(QUERY))
    assert status == 200
    result = body["composeExtension"]
    assert result["type"] == "result" and result["attachmentLayout"] == "list"
    titles = []
    for attachment in result["attachments"]:
        assert attachment["contentType"] == CARD_CONTENT_TYPE
        validate_card(attachment["content"])
        preview = attachment["preview"]
        assert preview["contentType"] == "application/vnd.microsoft.card.thumbnail"
        titles.append(preview["content"]["title"])
    assert sorted(titles) == ["#1 Printer jammed", "#2 Printer out of toner"]
    assert teams.connector.activities() == [], "results go to the searcher only"


async def test_query_applies_the_searchers_policy(teams):
    await teams.services.tickets.create(CLI_ADMIN, title="Printer jammed")
    status, body = await teams.post(teams.sample(QUERY))
    assert (status, body) == (200, {"composeExtension": {"type": "result", "attachmentLayout": "list", "attachments": []}})


async def test_query_without_words_asks_for_them(teams):
    query = teams.sample(QUERY)
    query["value"]["parameters"] = [{"name": "initialRun", "value": "true"}]
    status, body = await teams.post(query)
    assert (status, body) == (200, {"composeExtension": {
        "type": "message", "text": "Type a few words to find tickets by their title or description."}})


@pytest.fixture
async def channel_card(teams: TeamsApp) -> dict[str, Any]:
    """Ticket #1 made from Megan's message; the card posted in the channel thread, with its activity id."""
    await teams.services.members.add("Megan Bowen", "megan@example.com")
    submit = by_megan(teams.sample(SUBMIT))
    assert (await teams.post(submit))[0] == 200
    [posted] = teams.connector.activities()
    return {"card": posted.json["attachments"][0]["content"], "id": posted.answer["id"], "invoke": submit}


def channel_press(card: dict[str, Any], verb: str, *, by: tuple[str, str, str], activity_id: str,
                  trigger: str = "manual") -> dict[str, Any]:
    """The `adaptiveCard/action` invoke Teams sends when `by` (id, name, AAD id) presses `verb` on the card."""
    press = copy.deepcopy(card["invoke"])
    press.update(name="adaptiveCard/action", id=activity_id, replyToId=card["id"])
    press["from"] = {"id": by[0], "name": by[1], "aadObjectId": by[2]}
    if verb == "ticket.show":
        execute = card["card"]["refresh"]["action"]
    else:
        execute = next(a for a in card["card"]["actions"] if a.get("verb") == verb)
    press["value"] = {"action": {"type": "Action.Execute", "verb": verb, "data": execute["data"]}, "trigger": trigger}
    return press


async def test_a_press_in_a_channel_updates_the_shared_card_for_everyone(teams, channel_card):
    press = channel_press(channel_card, "ticket.assign_me", by=(MEGAN_ID, "Megan Bowen", MEGAN_AAD), activity_id="f:p1")
    status, body = await teams.post(press)
    assert status == 200 and body["type"] == CARD_CONTENT_TYPE
    assert "Assigned to Megan Bowen." in json.dumps(body["value"])
    [update] = [r for r in teams.connector.activities() if r.method == "PUT"]
    assert update.conversation_id == THREAD and update.activity_id == channel_card["id"]
    shared = update.json["attachments"][0]["content"]
    validate_card(shared)
    assert "Assigned to Megan Bowen." in json.dumps(shared)
    assert shared["refresh"]["action"] == {"type": "Action.Execute", "title": "Refresh", "verb": "ticket.show",
                                           "data": {"action": "ticket.show", "ticket": 1}}
    assert sorted(shared["refresh"]["userIds"]) == sorted([MEGAN_ID, OLO_ID])
    [ticket] = await teams.services.tickets.list()
    assert [m.name for m in ticket.assignees] == ["Megan Bowen"]


async def test_a_refused_press_is_answered_to_the_presser_only(teams, channel_card):
    before = len(teams.connector.activities())
    press = channel_press(channel_card, "ticket.assign_me", by=(OLO_ID, "Olo Brockhouse", OLO_AAD), activity_id="f:p2")
    status, body = await teams.post(press)
    assert (status, body) == (200, {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                                    "value": "Ticket #1 is not yours, and only desk members can see other people's tickets."})
    assert len(teams.connector.activities()) == before, "no public reply and no shared update"
    [ticket] = await teams.services.tickets.list()
    assert ticket.assignees == []


async def test_a_refused_change_on_a_card_the_presser_sees_is_answered_to_the_presser_only(teams, channel_card):
    await teams.services.members.add("Olo Brockhouse", "olo@example.com")
    await teams.services.tickets.close(CLI_ADMIN, 1)
    before = len(teams.connector.activities())
    close = channel_press(channel_card, "ticket.close", by=(OLO_ID, "Olo Brockhouse", OLO_AAD), activity_id="f:p3")
    close["value"]["action"]["data"] = {"action": "ticket.close", "ticket": 1}
    status, body = await teams.post(close)
    assert status == 200 and body["type"] == CARD_CONTENT_TYPE
    validate_card(body["value"])
    warning = body["value"]["body"][1]
    assert warning["color"] == "warning" and warning["text"] == "Ticket #1 is already Closed."
    assert len(teams.connector.activities()) == before, "no public reply and no shared update"


async def test_an_automatic_refresh_is_answered_with_the_viewers_card(teams, channel_card):
    before = len(teams.connector.activities())
    press = channel_press(channel_card, "ticket.show", by=(MEGAN_ID, "Megan Bowen", MEGAN_AAD), activity_id="f:r1",
                          trigger="automatic")
    status, body = await teams.post(press)
    assert status == 200 and body["type"] == CARD_CONTENT_TYPE
    validate_card(body["value"])
    assert "#1" in body["value"]["body"][0]["text"]
    assert len(teams.connector.activities()) == before
