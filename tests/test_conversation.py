"""Conversation correctness through the core over the database (SQLite and PostgreSQL): drafts, words,
notes, guests, history, lists, attachments, and a failure between recording an event and committing it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.seam import Attachment
from bot.services import Services
from cards import verbs
from storage.models import Attachment as AttachmentRow
from storage.models import SeenEvent, Ticket
from tests.chat_helpers import Chat, button_data, buttons, texts
from tests.helpers import make_settings


@pytest.fixture
async def megan(services):
    await services.members.add("Megan Bowen", "megan@example.com", is_admin=True)
    return Chat(services, "um", "Megan", "megan@example.com", conversation="19:channel", scope="channel")


@pytest.fixture
def gus(services):
    return Chat(services, "ug", "Gus Guest", conversation="19:channel", scope="channel")


async def _tickets(services) -> list[Ticket]:
    async with services.db.sessions() as session:
        return list((await session.scalars(select(Ticket).order_by(Ticket.number))).all())


async def test_pressing_create_twice_in_sequence_makes_one_ticket(services, gus):
    draft = await gus.say("The scanner on floor 2 eats paper")
    data = button_data(draft, verbs.CREATE)
    first = await gus.press(verbs.CREATE, **data, title="The scanner on floor 2 eats paper")
    again = await gus.press(verbs.CREATE, **data, title="The scanner on floor 2 eats paper")
    assert "Created ticket #1." in texts(first)
    assert "Already created as #1." in texts(again) and "#1 The scanner" in texts(again)
    [ticket] = await _tickets(services)
    assert ticket.requester_name == "Gus Guest"


async def test_pressing_create_twice_at_once_from_two_processes_makes_one_ticket(services, db_url, gus):
    draft = await gus.say("The badge reader at the door is dead")
    data = {**button_data(draft, verbs.CREATE), "title": "The badge reader at the door is dead"}
    other = Services(make_settings(db_url))
    try:
        twin = Chat(other, "ug", "Gus Guest", conversation="19:channel", scope="channel")
        replies = await asyncio.gather(gus.press(verbs.CREATE, **data), twin.press(verbs.CREATE, **data))
    finally:
        await other.close()
    said = sorted(texts(r) for r in replies)
    assert sum("Created ticket #1." in t for t in said) == 1
    assert sum("Already created as #1." in t for t in said) == 1
    assert [t.requester_name for t in await _tickets(services)] == ["Gus Guest"]


async def test_only_the_author_or_a_member_confirms_a_draft_and_the_author_stays_requester(services, megan, gus):
    draft = await gus.say("My monitor flickers")
    data = {**button_data(draft, verbs.CREATE), "title": "My monitor flickers"}
    stranger = Chat(services, "uz", "Zed Stranger", conversation="19:channel", scope="channel")
    refused = await stranger.press(verbs.CREATE, **data)
    assert "Only Gus Guest or a desk member can create this draft." in texts(refused)
    assert await _tickets(services) == []
    done = await megan.press(verbs.CREATE, **data)
    assert "Created ticket #1 for Gus Guest." in texts(done)
    [ticket] = await _tickets(services)
    assert ticket.requester_name == "Gus Guest"
    assert "#1 My monitor flickers" in texts(await gus.say("show 1"))


async def test_a_failure_before_the_commit_lets_the_redelivery_run_once(services, gus, monkeypatch):
    create = services.desk.tickets.create

    async def created_then_crashed(*args, **kwargs):
        await create(*args, **kwargs)
        raise RuntimeError("the process died here")

    monkeypatch.setattr(services.desk.tickets, "create", created_then_crashed)
    failed = await gus.say("Title: Phone has no dial tone", key="activity-7")
    assert "something went wrong" in texts(failed)
    assert await _tickets(services) == []
    monkeypatch.setattr(services.desk.tickets, "create", create)
    redelivered = await gus.say("Title: Phone has no dial tone", key="activity-7")
    assert "Created ticket #1." in texts(redelivered)
    again = await gus.say("Title: Phone has no dial tone", key="activity-7")
    assert again.messages == ()
    assert [t.title for t in await _tickets(services)] == ["Phone has no dial tone"]
    async with services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SeenEvent)) == 1


async def test_confirm_and_discard_a_draft_by_words(services, gus):
    await gus.say("Outlook crashes on start")
    kept = await gus.say("my tickets")
    assert "You have no open tickets." in texts(kept)
    created = await gus.say("yes")
    assert "Created ticket #1." in texts(created)
    await gus.say("Teams will not load")
    dropped = await gus.say("no")
    assert "Draft discarded" in texts(dropped)
    await gus.say("Excel is slow")
    cancelled = await gus.say("cancel")
    assert "Draft discarded" in texts(cancelled) and "nothing to cancel" not in texts(cancelled)
    assert "There is nothing to cancel." in texts(await gus.say("cancel"))
    assert [t.title for t in await _tickets(services)] == ["Outlook crashes on start"]


async def test_pleasantries_and_a_members_name_are_not_tickets(services, megan, gus):
    for said in ("thanks", "thank you", "👍", "cool", "great", "merci"):
        reply = await gus.say(said)
        assert "welcome" in texts(reply), said
        assert verbs.CREATE not in buttons(reply)
    reply = await gus.say("Megan Bowen")
    assert "is a desk member" in texts(reply) and verbs.CREATE not in buttons(reply)


async def test_unassign_with_one_match_removes_at_once_and_several_ask(services, megan):
    await services.members.add("Megan Fox", "fox@example.com")
    await megan.say("Title: Shared drive full")
    await megan.say("assign 1 to me")
    await megan.say("assign 1 to fox@example.com")
    asked = await megan.say("unassign 1 megan")
    assert "Whom should I take off #1?" in texts(asked) and "[1] Megan Bowen  [2] Megan Fox" in texts(asked)
    done = await megan.say("2")
    assert "Took Megan Fox off #1." in texts(done)
    done = await megan.say("unassign 1 bowen")
    assert "Took Megan Bowen off #1." in texts(done)
    [ticket] = await _tickets(services)
    assert ticket.assignees == []


async def test_note_without_text_asks_for_it_and_internal_notes_stay_internal(services, megan, gus):
    await gus.say("Title: VPN drops every hour")
    asked = await megan.say("note 1")
    assert "What should the note on #1 say?" in texts(asked)
    added = await megan.say("Rebooted the concentrator")
    assert "Added your note to #1." in texts(added)
    assert "Added your internal note to #1." in texts(await megan.say("note 1 internal the firmware is 3 years old"))
    assert "Added your internal note to #1." in texts(await megan.say("internal 1 vendor ticket 55-1"))
    assert len(await _tickets(services)) == 1
    member_notes = texts(await megan.say("show 1 notes"))
    assert "Rebooted the concentrator" in member_notes and "firmware" in member_notes and "(internal)" in member_notes
    guest_notes = texts(await gus.say("show 1 notes"))
    assert "Rebooted the concentrator" in guest_notes
    assert "firmware" not in guest_notes and "vendor" not in guest_notes and "internal" not in guest_notes
    assert "1 note ·" in texts(await gus.say("show 1")) and "3 notes ·" in texts(await megan.say("show 1"))
    guest_history = texts(await gus.say("show 1 history"))
    assert "Rebooted" in guest_history and "firmware" not in guest_history and "internal" not in guest_history
    assert "Only desk members can add internal notes." in texts(await gus.say("note 1 internal sneaky"))


async def test_history_names_people_and_uses_the_desk_time_zone(db_url):
    services = Services(make_settings(db_url, timezone="Europe/Berlin"))
    try:
        await services.members.add("Megan Bowen", "megan@example.com")
        megan = Chat(services, "um", "Megan", "megan@example.com")
        await megan.say("Title: Printer offline")
        await megan.say("assign 1 to me")
        await megan.say("note 1 Replaced the toner cartridge")
        history = texts(await megan.say("show 1 history"))
    finally:
        await services.close()
    assert "assignees – → Megan Bowen" in history and "['" not in history
    assert "added a note: “Replaced the toner cartridge”" in history
    assert " CET " in history or " CEST " in history


async def test_a_guest_sees_only_what_they_may_do_and_is_refused_before_any_question(services, megan, gus):
    reply = await gus.say("Title: Keyboard missing keys")
    assert set(buttons(reply)) == {verbs.NOTE, verbs.CLOSE}
    member_view = await megan.say("show 1")
    assert {verbs.ASSIGN_ME, verbs.STATUS, verbs.PRIORITY} <= set(buttons(member_view))
    help_text = texts(await gus.say("help"))
    assert "assign <n>" not in help_text and "list [board]" not in help_text and "my tickets" in help_text
    refused = texts(await gus.say("status 1"))
    assert refused == "Only desk members can change the status of ticket #1."
    refused = texts(await gus.say("assign 1 to e"))
    assert refused == "Only desk members can assign ticket #1." and "Megan" not in refused
    assert "Only desk members can list all tickets." in texts(await gus.say("list"))


async def test_lists_come_a_page_at_a_time(services, megan):
    for n in range(12):
        await megan.say(f"Title: Printer {n} jammed")
    first = await megan.say("search printer")
    assert texts(first).count("Printer") == 10 and "More follow" in texts(first)
    following = await megan.press(verbs.LIST_NEXT, **button_data(first, verbs.LIST_NEXT))
    assert texts(following).count("Printer") == 2 and "That was the last page." in texts(following)
    again = await megan.say("search printer")
    more = await megan.say("more")
    assert texts(more) == texts(following) and texts(again) == texts(first)
    assert "There is no list to continue." in texts(await megan.say("more"))


async def test_files_are_kept_on_the_ticket_and_an_image_alone_is_a_draft(services, gus):
    shot = Attachment("Screenshot_2026-12-01.png", "image/png", "https://files.example.com/s.png")
    draft = await gus.say("", files=(shot,))
    assert "Title: Screenshot 2026-12-01" in texts(draft)
    created = await gus.say("yes")
    assert "Attachments: Screenshot_2026-12-01.png" in texts(created)
    log = Attachment("trace.log", "text/plain", "https://files.example.com/t.log")
    await gus.say("note 1 here is the trace", files=(log,))
    assert "Attachments: Screenshot_2026-12-01.png, trace.log" in texts(await gus.say("show 1 notes"))
    async with services.db.sessions() as session:
        rows = (await session.scalars(select(AttachmentRow).order_by(AttachmentRow.id))).all()
    assert [(r.name, r.content_type, r.url, r.note_id is None) for r in rows] == [
        ("Screenshot_2026-12-01.png", "image/png", "https://files.example.com/s.png", True),
        ("trace.log", "text/plain", "https://files.example.com/t.log", False),
    ]


async def test_a_structured_form_asks_with_buttons_and_a_new_form_starts_over(services, megan):
    await services.boards.add("Network")
    asked = await megan.say("Title: Switch port dead\nPriority: high")
    assert "Which board should it go to?" in texts(asked)
    assert buttons(asked) == [verbs.ANSWER, verbs.ANSWER, verbs.ANSWER]
    restarted = await megan.say("Title: Core switch down\nPriority: critical\nBoard: Network")
    assert "Created ticket #1." in texts(restarted)
    asked = await megan.say("Title: Printer toner low")
    board = button_data(asked, verbs.ANSWER)
    done = await megan.press(verbs.ANSWER, **board)
    assert "Created ticket #2." in texts(done)
    assert [(t.title, t.board.name) for t in await _tickets(services)] == [
        ("Core switch down", "Network"),
        ("Printer toner low", board["answer"]),
    ]
