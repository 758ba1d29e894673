"""`Core.pending`: what a person left open in a conversation, recalled when they come back (SQLite and
PostgreSQL). It reminds and changes nothing: the question or draft is still there to answer afterwards."""

from __future__ import annotations

from tests.chat_helpers import Chat, texts


async def test_nothing_open_is_none(services):
    alice = Chat(services)
    assert await services.core.pending(alice.ref, alice.actor) is None
    await alice.say("show 1")
    assert await services.core.pending(alice.ref, alice.actor) is None


async def test_an_open_question_is_asked_again_and_still_answers(services):
    alice = Chat(services)
    await alice.say("new")
    await alice.say("Projector flickers")
    await alice.say("skip")
    reminder = await services.core.pending(alice.ref, alice.actor)
    assert reminder is not None and reminder.card is not None
    assert "You left off in the middle of the new ticket; next question:" in reminder.text
    assert "How urgent is it?" in reminder.text
    assert [a.title for a in reminder.card.actions][:2] == ["low", "medium"]
    assert "Created ticket #1." in texts(await alice.say("high"))


async def test_a_draft_is_recalled_for_its_author_only_and_still_confirms(services):
    alice, bob = Chat(services), Chat(services, "u2", "Bob")
    await alice.say("the scanner in room 12 is broken")
    reminder = await services.core.pending(alice.ref, alice.actor)
    assert reminder is not None
    assert reminder.text.startswith('You have a draft waiting: "the scanner in room 12 is broken"')
    assert "Say `yes` to create it" in reminder.text
    assert await services.core.pending(bob.ref, bob.actor) is None
    assert "Created ticket #1." in texts(await alice.say("yes"))
    assert await services.core.pending(alice.ref, alice.actor) is None
