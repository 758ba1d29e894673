"""Card buttons in Teams: `Action.Execute` invokes answered with the refreshed card, and `Action.Submit`
messages that update the pressed card in place."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from adapters.teams.translate import CARD_CONTENT_TYPE
from tests.teams.helpers import TeamsApp, left_in_cycles, schema, variant

RIDO_ID = "29:1uMVvhoAyfTqdMsyvHL0qlJTTfQF9MOUSI8_cQts2kdSWEZVDyJO2jz-CsNOhQcdYq1Bw4cHT0__O6XDj4AZ-Jw"
RIDO_AAD = "c5e99701-2a32-49c1-a660-4629ceeb8c61"
INVOKE = "invoke.adaptiveCard-action.personal.teams-net.json"


def validate_card(card: dict[str, Any]) -> None:
    """The card against the official Adaptive Card 1.5 schema, with the Teams-only `msteams` removed."""
    plain = {k: v for k, v in card.items() if k != "msteams"}
    jsonschema.Draft6Validator(schema("adaptive-card.v1.5.json")).validate(plain)


def action(card: dict[str, Any], verb: str) -> dict[str, Any]:
    """The card's Execute action with this verb (looking inside ShowCard prompts too)."""
    for candidate in card.get("actions", []):
        if candidate["type"] == "Action.ShowCard":
            candidate = candidate["card"]["actions"][0]
        if candidate.get("verb") == verb:
            return candidate
    raise AssertionError(f"no {verb} on the card")


@pytest.fixture
async def ticket_card(teams: TeamsApp) -> dict[str, Any]:
    """Rido (a desk member) opens ticket #1 in his chat with the bot; the card the bot sent, with its id."""
    await teams.services.members.add("Rido", "rido@example.com")
    teams.connector.members[RIDO_ID] = {
        "id": RIDO_ID, "name": "Rido", "aadObjectId": RIDO_AAD, "email": "rido@example.com"
    }
    invoke = teams.sample(INVOKE)
    message = variant(invoke, type="message", id="1767765400000", text="Title: Printer jammed", replyToId=None)
    for field in ("name", "value"):
        message.pop(field)
    assert (await teams.post(message))[0] == 200
    sent, who = teams.connector.activities()
    assert who.json["text"] == "(You are Rido on the desk.)"
    return {"card": sent.json["attachments"][0]["content"], "id": sent.answer["id"], "invoke": invoke}


def press(
    invoke: dict[str, Any], execute: dict[str, Any], card_id: str, *, activity_id: str, **inputs: Any
) -> dict[str, Any]:
    """The invoke Teams sends when `execute` is pressed on the card `card_id`, with these input values."""
    pressed = copy.deepcopy(invoke)
    pressed["id"] = activity_id
    pressed["replyToId"] = card_id
    pressed["value"] = {"action": {"type": "Action.Execute", "title": execute["title"], "verb": execute["verb"],
                                   "data": {**execute["data"], **inputs}}, "trigger": "manual"}
    return pressed


async def test_execute_is_answered_with_the_refreshed_card(teams, ticket_card):
    execute = action(ticket_card["card"], "ticket.assign_me")
    activity = press(ticket_card["invoke"], execute, ticket_card["id"], activity_id="f:press-1")
    async with teams.http.post(teams.url + "/api/messages", json=activity) as resp:
        raw = await resp.read()
        assert resp.status == 200 and resp.content_type == "application/json"
    body = json.loads(raw)
    assert list(body) == ["statusCode", "type", "value"]
    assert body["statusCode"] == 200 and body["type"] == CARD_CONTENT_TYPE
    card = body["value"]
    validate_card(card)
    assert "Assigned to Rido." in json.dumps(card)
    assert action(card, "ticket.assign_me")["data"]["version"] == 2
    [ticket] = await teams.services.tickets.list()
    assert [m.name for m in ticket.assignees] == ["Rido"]
    assert len(teams.connector.activities()) == 2, "the refreshed card travels in the invoke answer only"


async def test_card_presses_leave_nothing_in_cycles(teams, ticket_card):
    """As for messages (`test_teams_garbage.py`): the invoke answer's serializer, once made per answer, referred
    to itself, and the press loaded the assignee's identities, a partial refresh that left the member's state in
    a cycle."""
    card = ticket_card["card"]
    for n in range(6):
        with left_in_cycles() as left:
            assign = press(ticket_card["invoke"], action(card, "ticket.assign_me"), ticket_card["id"],
                           activity_id=f"f:assign-{n}")
            status, body = await teams.post(assign)
        assert status == 200 and body["type"] == CARD_CONTENT_TYPE
        card = body["value"]
        if n:  # the first press compiles what the press path runs, once
            assert left == []


async def test_execute_with_inputs_and_a_stale_card(teams, ticket_card):
    note = action(ticket_card["card"], "ticket.note")
    invoke = ticket_card["invoke"]
    first = press(invoke, note, ticket_card["id"], activity_id="f:note-1", note="Toner replaced")
    status, body = await teams.post(first)
    assert status == 200 and "Toner replaced" in json.dumps(body["value"])
    stale = press(invoke, action(ticket_card["card"], "ticket.close"), ticket_card["id"], activity_id="f:close-1")
    status, body = await teams.post(stale)
    assert status == 200 and body["type"] == CARD_CONTENT_TYPE
    assert "out of date" in json.dumps(body["value"])
    validate_card(body["value"])
    [ticket] = await teams.services.tickets.list()
    assert not ticket.status.is_closed


async def test_execute_without_a_known_verb_gets_a_message_answer(teams):
    status, body = await teams.post(teams.sample(INVOKE))
    assert status == 200
    assert body == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                    "value": "I do not know that button. Type `help` to see what I can do."}


async def test_a_redelivered_execute_changes_nothing_twice(teams, ticket_card):
    execute = action(ticket_card["card"], "ticket.assign_me")
    activity = press(ticket_card["invoke"], execute, ticket_card["id"], activity_id="f:press-2")
    assert (await teams.post(activity))[1]["type"] == CARD_CONTENT_TYPE
    status, again = await teams.post(activity)
    assert status == 200 and again["statusCode"] == 200
    [ticket] = await teams.services.tickets.list()
    assert ticket.version == 2


async def test_submit_value_runs_the_action_and_updates_the_pressed_card(teams, ticket_card):
    close = action(ticket_card["card"], "ticket.close")
    submit = variant(ticket_card["invoke"], type="message", id="1767765499999", replyToId=ticket_card["id"],
                     text="", value=dict(close["data"]))
    submit.pop("name")
    assert await teams.post(submit) == (200, None)
    update = teams.connector.requests[-1]
    assert update.method == "PUT"
    assert update.conversation_id == submit["conversation"]["id"] and update.activity_id == ticket_card["id"]
    assert update.json["id"] == ticket_card["id"]
    card = update.json["attachments"][0]["content"]
    validate_card(card)
    assert "Closed by Rido." in json.dumps(card)
    [ticket] = await teams.services.tickets.list()
    assert ticket.status.is_closed


async def test_submit_value_in_a_channel_without_a_mention_is_handled(teams):
    activity = teams.sample("message.channel.messageBack-value.msteams-docs.json")
    assert await teams.post(activity) == (200, None)
    [reply] = teams.connector.activities()
    assert reply.conversation_id == activity["conversation"]["id"]
    assert reply.json["text"].startswith("I do not know that button")
    assert reply.json["textFormat"] == "plain"


async def test_other_invokes_get_a_json_400(teams):
    activity = variant(teams.sample(INVOKE), name="composeExtension/querySettingUrl")
    status, body = await teams.post(activity)
    assert status == 400 and "composeExtension/querySettingUrl" in body["error"]
