"""Pressing a Webex card: the submission is fetched, the ticket changes once, the refreshed card is posted in
the pressed card's thread (Webex cannot edit a card message)."""

from __future__ import annotations

import json
from typing import Any

from cards import verbs
from tests.fakes.webex_api import BOT_ID
from tests.webex.helpers import ACTION, DIRECT, GROUP, card_of, check_card, sample, submit, variant


async def _ticket_card(webex, title: str = "Printer on 3 is jammed") -> dict[str, Any]:
    """Open a ticket in the 1:1 space of the samples; the posted ticket card message (as the stub keeps it)."""
    webhook = sample(DIRECT)
    webex.message(webhook, text=f"Title: {title}")
    await webex.post(webhook)
    [posted] = webex.webex.posted()
    [message] = [m for m in webex.webex.messages.values() if m.get("attachments") == posted["attachments"]]
    return message


def _press(webex, message: dict[str, Any], inputs: dict[str, Any], *, action_id: str = "ACTION-1") -> dict[str, Any]:
    """The webhook for a press on `message`, with its submission (the action's data merged with the inputs)."""
    webhook = sample(ACTION)
    person = webhook["data"]["personId"]
    webex.webex.actions[action_id] = {"id": action_id, "type": "submit", "messageId": message["id"],
                                      "inputs": inputs, "personId": person, "roomId": message["roomId"],
                                      "created": "2026-12-02T00:00:00.000Z"}
    return variant(webhook, id=action_id, messageId=message["id"], roomId=message["roomId"])


async def test_close_is_run_and_the_refreshed_card_is_posted_in_the_thread(webex):
    message = await _ticket_card(webex)
    close = submit(card_of(message), verbs.CLOSE)
    webhook = _press(webex, message, close)
    assert await webex.post(webhook) == (200, {"status": "ok"})
    assert "/v1/attachment/actions/ACTION-1" in webex.webex.fetched()
    [ticket] = await webex.services.tickets.list()
    assert ticket.status.is_closed
    refreshed = webex.webex.posted()[1]
    assert refreshed["roomId"] == message["roomId"]
    assert refreshed["parentId"] == message["id"]
    card = card_of(refreshed)
    check_card(card)
    assert submit(card, verbs.REOPEN)["ticket"] == ticket.number
    assert refreshed["markdown"].startswith(f"**#{ticket.number} Printer on 3 is jammed**")


async def test_a_redelivered_press_changes_the_ticket_once(webex):
    message = await _ticket_card(webex)
    webhook = _press(webex, message, submit(card_of(message), verbs.CLOSE))
    await webex.post(webhook)
    [once] = await webex.services.tickets.list()
    assert await webex.post(webhook) == (200, {"status": "ok"})
    assert len(webex.webex.posted()) == 2
    [ticket] = await webex.services.tickets.list()
    assert once.status.is_closed and ticket.version == once.version


async def test_a_press_with_inputs_adds_the_note(webex):
    message = await _ticket_card(webex)
    note = submit(card_of(message), verbs.NOTE)
    webhook = _press(webex, message, {**note, "note": "Toner replaced"})
    await webex.post(webhook)
    refreshed = webex.webex.posted()[1]
    assert "Toner replaced" in json.dumps(card_of(refreshed))


async def test_a_press_in_a_thread_answers_in_that_thread(webex):
    webhook = sample(GROUP)
    webex.message(webhook, roomType="group", mentionedPeople=[BOT_ID], text="Ticketbot Title: Door sensor")
    await webex.post(webhook)
    [message] = [m for m in webex.webex.messages.values() if m.get("personId") == BOT_ID]
    message["parentId"] = "THREAD-ROOT"
    await webex.post(_press(webex, message, submit(card_of(message), verbs.CLOSE)))
    refreshed = webex.webex.posted()[1]
    assert refreshed["parentId"] == "THREAD-ROOT" and refreshed["roomId"] == message["roomId"]


async def test_a_press_that_names_no_verb_is_answered(webex):
    message = await _ticket_card(webex)
    await webex.post(_press(webex, message, {"note": "x"}))
    answer = webex.webex.posted()[1]
    assert "do not know that button" in answer["text"]
    assert answer["parentId"] == message["id"]


async def test_a_submission_webex_no_longer_has_is_ignored(webex):
    webhook = variant(sample(ACTION), id="GONE")
    status, answer = await webex.post(webhook)
    assert status == 200 and answer["status"] == "ignored"
    assert webex.webex.posted() == []


async def test_a_webex_that_refuses_the_fetch_gets_a_502_and_nothing_changes(webex):
    message = await _ticket_card(webex)
    webhook = _press(webex, message, submit(card_of(message), verbs.CLOSE))
    webex.webex.refuse_next(503, method="GET")
    status, answer = await webex.post(webhook)
    assert status == 502 and "try again" in answer["error"]
    [ticket] = await webex.services.tickets.list()
    assert not ticket.status.is_closed and len(webex.webex.posted()) == 1
    assert await webex.post(webhook) == (200, {"status": "ok"})  # Webex's retry then works
    [ticket] = await webex.services.tickets.list()
    assert ticket.status.is_closed
