"""Notifications through the real Teams port and the Bot Connector stub: threads, the first card kept
current, replies as notes, Retry-After, and replies the connector refused."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from bot.desk.principal import CLI_ADMIN, Principal
from storage.models import Delivery, Note, Ticket
from tests.notify.teams_desk import ALICE_AAD, CHANNEL_SAMPLE, channel_desk, wait_for
from tests.teams.helpers import variant


def _card_text(recorded) -> str:
    return str(recorded.json["attachments"][0]["content"]["body"])


async def _sent(teams) -> Delivery | None:
    async with teams.services.db.sessions() as session:
        [row] = (await session.scalars(select(Delivery))).all()
    return row if row.state == "sent" else None


async def _rido(teams) -> Principal:
    member = await teams.services.members.by_email("rido@example.com")
    return Principal(name=member.name, member_id=member.id)


async def test_updates_go_into_the_first_cards_thread_and_that_card_is_edited(teams):
    channel = await channel_desk(teams)
    alice = await teams.services.members.by_email("alice@example.com")
    await teams.services.tickets.create(CLI_ADMIN, title="Projector in room 4 is dead", assignees=[alice])
    connector = teams.connector
    first = await wait_for(lambda: [r for r in connector.accepted() if r.conversation_id == channel])
    root = first[0].answer["id"]
    assert "New ticket #1" in first[0].json["summary"] and "New" in _card_text(first[0])
    await teams.services.tickets.set_status(await _rido(teams), 1, "In Progress")
    thread = f"{channel};messageid={root}"
    [reply] = await wait_for(
        lambda: [r for r in connector.accepted() if r.conversation_id == thread and r.method == "POST"]
    )
    [edit] = [r for r in connector.accepted() if r.method == "PUT" and r.conversation_id == thread]
    assert edit.activity_id == root and "In Progress" in _card_text(edit)
    assert edit.at < reply.at  # the card is current before the update is announced
    assert reply.json["text"] == "#1 Projector in room 4 is dead: status New → In Progress (by Rido)"
    assert len([r for r in connector.accepted() if r.conversation_id == channel]) == 1  # no second top-level card
    dms = [r for r in connector.requests if r.path == "/v3/conversations"]
    assert len(dms) == 1 and dms[0].json["members"] == [{"id": ALICE_AAD}]  # one DM opened for Alice, reused


async def test_a_reply_in_the_cards_thread_becomes_a_note_and_notifies_the_assignee(teams):
    channel = await channel_desk(teams)
    alice = await teams.services.members.by_email("alice@example.com")
    await teams.services.tickets.create(CLI_ADMIN, title="Projector in room 4 is dead", assignees=[alice])
    connector = teams.connector
    first = await wait_for(lambda: [r for r in connector.accepted() if r.conversation_id == channel])
    root = first[0].answer["id"]
    await wait_for(lambda: len(connector.accepted()) == 2)  # the channel card and Alice's DM
    dm = next(r.conversation_id for r in connector.accepted() if r.conversation_id != channel)
    activity = variant(
        teams.sample(CHANNEL_SAMPLE),
        id="reply-1",
        text="<at>ridotest</at> replaced the lamp, works again",
        conversation={**teams.sample(CHANNEL_SAMPLE)["conversation"], "id": f"{channel};messageid={root}"},
    )
    assert (await teams.post(activity))[0] == 200
    [note] = await teams.services.tickets.notes(1)
    assert (note.author_name, note.text, note.internal) == ("Rido", "replaced the lamp, works again", False)
    confirmation = next(r for r in connector.accepted() if r.activity_id == "reply-1")
    assert confirmation.json["text"] == "Added your reply to #1 as a note."
    to_alice = await wait_for(
        lambda: [r for r in connector.accepted() if r.conversation_id == dm and r.method == "POST"][1:]
    )
    assert "Rido added a note: replaced the lamp, works again" in to_alice[0].json["summary"]
    internal = variant(activity, id="reply-2", text="<at>ridotest</at> internal the lamp was stolen")
    await teams.post(internal)
    notes = await teams.services.tickets.notes(1)
    assert [(n.text, n.internal) for n in notes][-1] == ("the lamp was stolen", True)
    async with teams.services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1  # no reply became a ticket
        assert await session.scalar(select(func.count()).select_from(Note)) == 2


async def test_a_429_with_retry_after_is_sent_once_and_not_before_it(teams):
    channel = await channel_desk(teams)
    connector = teams.connector
    connector.refuse_next(429, "1")
    await teams.services.tickets.create(CLI_ADMIN, title="Badge reader offline")
    [sent] = await wait_for(lambda: [r for r in connector.accepted() if r.conversation_id == channel])
    [refused] = [r for r in connector.activities() if r.status == 429]
    assert sent.at - refused.at >= 1.0
    assert sent.json["attachments"] == refused.json["attachments"]
    row = await wait_for(lambda: _sent(teams))
    assert row.attempts == 2


async def test_a_refused_reply_is_answered_200_arrives_once_after_retry_after_and_redelivery_adds_nothing(teams):
    activity = teams.sample("message.personal.msteams-docs.json")
    activity["text"] = "Title: Monitor flickers"
    connector = teams.connector
    connector.refuse_next(404)  # the roster lookup (tolerated)
    connector.refuse_next(429, "1")  # the reply
    assert (await teams.post(activity))[0] == 200
    answered = time.monotonic()
    [refused] = [r for r in connector.activities() if r.status == 429]
    [sent] = await wait_for(lambda: connector.accepted())
    assert answered < sent.at  # the inbound request was answered before the reply went out
    assert sent.at - refused.at >= 1.0 and sent.json["attachments"] == refused.json["attachments"]
    assert (await teams.post(activity))[0] == 200  # Teams redelivers the activity
    await wait_for(lambda: time.monotonic() - sent.at > 0.5)
    assert len(connector.accepted()) == 1
    assert len(await teams.services.tickets.list()) == 1
