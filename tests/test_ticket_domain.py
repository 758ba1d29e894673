"""The ticket domain and members: rules users notice, on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib

import pytest

from bot.desk.errors import Conflict, Forbidden, Invalid, NotFound
from bot.desk.principal import CLI_ADMIN
from bot.seam import Actor


async def test_create_uses_board_defaults_and_aliases(services):
    ticket = await services.tickets.create(CLI_ADMIN, title="  VPN   down  ", priority="P1")
    assert (ticket.title, ticket.priority, ticket.status.name, ticket.board.name) == (
        "VPN down",
        "critical",
        "New",
        "Service Desk",
    )
    plain = await services.tickets.create(CLI_ADMIN, title="Mouse")
    assert plain.priority == "medium"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "needs a title"),
        ({"title": "x" * 201}, "at most 200"),
        ({"title": "ok", "priority": "whenever"}, "not a priority"),
        ({"title": "ok", "board": "Nope"}, "no board 'Nope'"),
        ({"title": "ok", "category": "Hardware"}, "no category"),
    ],
)
@pytest.mark.parametrize("in_a_turn", [False, True], ids=["alone", "in-a-turn"])
async def test_bad_create_says_why_and_creates_nothing(services, fields, message, in_a_turn):
    # In a turn the refusal is answered and the turn's unit commits: the create has no savepoint, so nothing
    # may have been written before it was refused (not even the ticket number taken).
    async with services.db.unit() if in_a_turn else contextlib.nullcontext():
        with pytest.raises((Invalid, NotFound)) as caught:
            await services.tickets.create(CLI_ADMIN, **fields)
    assert message in str(caught.value)
    assert await services.tickets.list() == []
    first = await services.tickets.create(CLI_ADMIN, title="after")
    assert first.number == 1


async def test_status_moves_along_the_board_workflow(services):
    ticket = await services.tickets.create(CLI_ADMIN, title="Flow")
    moved = await services.tickets.set_status(CLI_ADMIN, ticket.number, "in progress")
    assert moved.status.name == "In Progress"
    with pytest.raises(Invalid) as caught:
        await services.tickets.set_status(CLI_ADMIN, ticket.number, "Done")
    assert "Choose one of: New, In Progress, Waiting, Resolved, Closed" in str(caught.value)


async def test_close_and_reopen(services):
    ticket = await services.tickets.create(CLI_ADMIN, title="Closable")
    closed = await services.tickets.close(CLI_ADMIN, ticket.number, "works again")
    assert closed.status.name == "Closed" and closed.status.is_closed
    notes = await services.tickets.notes(ticket.number)
    assert [(n.text, n.internal) for n in notes] == [("works again", False)]
    with pytest.raises(Invalid):
        await services.tickets.close(CLI_ADMIN, ticket.number)
    reopened = await services.tickets.reopen(CLI_ADMIN, ticket.number)
    assert reopened.status.name == "New"


async def test_several_assignees(services):
    alice = await services.members.add("Alice", "alice@example.com")
    bob = await services.members.add("Bob", "bob@example.com")
    ticket = await services.tickets.create(CLI_ADMIN, title="Team work")
    await services.tickets.assign(CLI_ADMIN, ticket.number, [alice])
    both = await services.tickets.assign(CLI_ADMIN, ticket.number, [bob])
    assert [m.name for m in both.assignees] == ["Alice", "Bob"]
    with pytest.raises(Invalid):
        await services.tickets.assign(CLI_ADMIN, ticket.number, [alice])
    left = await services.tickets.unassign(CLI_ADMIN, ticket.number, [alice])
    assert [m.name for m in left.assignees] == ["Bob"]
    mine = await services.tickets.list(assignee_id=bob.id)
    assert [t.number for t in mine] == [ticket.number]


async def test_requester_who_is_not_a_member(services):
    stranger = await services.members.principal_for(Actor("slack", "U999", "Sam Stranger"))
    assert not stranger.is_member
    other = await services.tickets.create(CLI_ADMIN, title="Not Sam's")
    own = await services.tickets.create(stranger, title="Sam's laptop")
    alice = await services.members.add("Alice", "alice@example.com")
    with pytest.raises(Forbidden):
        await services.tickets.assign(stranger, own.number, [alice])
    with pytest.raises(Forbidden):
        await services.tickets.close(stranger, other.number)
    with pytest.raises(Forbidden):
        await services.tickets.add_note(stranger, other.number, "me too")
    with pytest.raises(Forbidden):
        await services.tickets.add_note(stranger, own.number, "secret", internal=True)
    await services.tickets.add_note(stranger, own.number, "still broken")
    closed = await services.tickets.close(stranger, own.number)
    assert closed.status.is_closed
    assert [t.number for t in await services.tickets.list(requester=stranger)] == [own.number]


async def test_search_and_filters(services):
    await services.tickets.create(CLI_ADMIN, title="Printer jammed", description="3rd floor")
    await services.tickets.create(CLI_ADMIN, title="VPN slow")
    done = await services.tickets.create(CLI_ADMIN, title="Printer toner")
    await services.tickets.close(CLI_ADMIN, done.number)
    assert [t.title for t in await services.tickets.list(words="printer")] == ["Printer toner", "Printer jammed"]
    assert [t.title for t in await services.tickets.list(words="FLOOR")] == ["Printer jammed"]
    assert [t.title for t in await services.tickets.list(open_only=True, words="printer")] == ["Printer jammed"]
    assert [t.title for t in await services.tickets.list(status="closed")] == ["Printer toner"]


async def test_unknown_ticket(services):
    with pytest.raises(NotFound) as caught:
        await services.tickets.update(CLI_ADMIN, 404, title="x")
    assert str(caught.value) == "There is no ticket #404."


async def test_identity_links_to_member_by_email(services):
    alice = await services.members.add("Alice", "Alice@Example.com", is_admin=True)
    who = await services.members.principal_for(Actor("teams", "29:abc", "Alice A.", "alice@example.com"))
    assert (who.member_id, who.is_admin, who.name) == (alice.id, True, "Alice")
    assert (await services.members.by_identity("teams", "29:abc")).id == alice.id
    assert (await services.members.by_email("ALICE@example.com")).id == alice.id


async def test_member_added_later_adopts_known_identities(services):
    first = await services.members.principal_for(Actor("webex", "P1", "Bo", "bo@example.com"))
    assert not first.is_member
    bo = await services.members.add("Bo", "bo@example.com")
    again = await services.members.principal_for(Actor("webex", "P1", "Bo"))
    assert again.member_id == bo.id


async def test_one_identity_per_platform(services):
    await services.members.add("Alice", "alice@example.com")
    await services.members.add("Bob", "bob@example.com")
    await services.members.link("alice@example.com", "slack", "U1")
    with pytest.raises(Conflict):
        await services.members.link("alice@example.com", "slack", "U2")
    with pytest.raises(Conflict):
        await services.members.link("bob@example.com", "slack", "U1")
    await services.members.link("alice@example.com", "webex", "P1")
    members = {m.name: m for m in await services.members.list()}
    assert sorted(i.platform for i in members["Alice"].identities) == ["slack", "webex"]
    assert members["Bob"].identities == []


async def test_find_members_by_name_and_email(services):
    await services.members.add("Megan Bowen", "megan@example.com")
    await services.members.add("Megan Fox", "mfox@example.com")
    assert [m.name for m in await services.members.find("megan")] == ["Megan Bowen", "Megan Fox"]
    assert (await services.members.resolve("megan bowen")).email == "megan@example.com"
    assert (await services.members.resolve("@mfox")).name == "Megan Fox"
    with pytest.raises(Invalid) as caught:
        await services.members.resolve("Megan")
    assert "several members" in str(caught.value)
    with pytest.raises(Conflict):
        await services.members.add("Other", "MEGAN@example.com")


async def test_api_keys_check_by_hash_until_revoked(services):
    from bot.desk.keys import KeyService

    keys = KeyService(services.db)
    new = await keys.create("reporting")
    assert (await keys.check(new.secret)).id == new.row.id
    assert await keys.check(new.secret + "x") is None
    await keys.revoke(str(new.row.id))
    assert await keys.check(new.secret) is None


@pytest.fixture
def postgres_db(postgres_factory) -> str:
    return postgres_factory.new()


async def test_a_change_in_a_turn_that_read_the_ticket_first_sees_another_process_commit(postgres_db):
    """One turn is one session: a ticket it read before another process changed it is refreshed by the locked
    read of the change, instead of failing the change with a stale version (PostgreSQL: the turns run at once)."""
    from bot.services import Services
    from tests.helpers import make_settings

    here, there = Services(make_settings(postgres_db)), Services(make_settings(postgres_db))
    try:
        await here.tickets.create(CLI_ADMIN, title="Printer jammed")
        async with here.db.unit():
            seen = await here.tickets.get(1)
            assert seen.version == 1
            await there.tickets.update(CLI_ADMIN, 1, priority="high")
            changed = await here.tickets.update(CLI_ADMIN, 1, title="Printer on 3 jammed")
        assert (changed.version, changed.priority, changed.title) == (3, "high", "Printer on 3 jammed")
    finally:
        await here.close()
        await there.close()


async def test_a_ticket_created_and_changed_in_one_transaction_is_one_row_changed_twice(services):
    alice = await services.members.add("Alice", "alice@example.com")
    bob = await services.members.add("Bob", "bob@example.com")
    async with services.db.unit():
        ticket = await services.tickets.create(CLI_ADMIN, title="Made and changed at once", assignees=[alice])
        changed = await services.tickets.update(CLI_ADMIN, ticket.number, priority="high", expected_version=1)
        assert changed is ticket and changed.version == 2
        await services.tickets.assign(CLI_ADMIN, ticket.number, [bob], expected_version=2)
    again = await services.tickets.get(ticket.number)
    assert (again.priority, again.version, again.title) == ("high", 3, "Made and changed at once")
    assert [m.name for m in again.assignees] == ["Alice", "Bob"]
    assert [entry.action for entry in await services.tickets.history(ticket.number)] == ["created", "updated", "assigned"]


async def test_a_ticket_just_opened_makes_the_same_card_without_reading_its_notes(services):
    from bot.desk.views import opened, ticket_view
    from bot.seam import Attachment

    member = await services.members.principal_for(Actor("slack", "U778", "Alice A", "alice@example.com"))
    guest = await services.members.principal_for(Actor("slack", "U777", "Gus Guest"))
    plain = await services.tickets.create(guest, title="Printer jams")
    files = [Attachment("jam.png", "image/png", "https://files.example/jam.png")]
    attached = await services.tickets.create(guest, title="Scanner jams", attachments=files)
    for ticket, has_files in ((plain, False), (attached, True)):
        for viewer in (member, guest, CLI_ADMIN, None):
            shown = await ticket_view(services.db, opened(ticket, attached=has_files), viewer)
            assert shown == await ticket_view(services.db, await services.tickets.get(ticket.number), viewer)
            assert [a.name for a in shown.attachments] == (["jam.png"] if has_files else [])


async def test_a_ticket_read_for_showing_makes_the_same_card_as_the_loaded_ticket(services):
    from bot.desk.views import ticket_view, ticket_views
    from bot.seam import Attachment

    alice = await services.members.add("Alice", "alice@example.com")
    bob = await services.members.add("Bob", "bob@example.com")
    guest = await services.members.principal_for(Actor("slack", "U777", "Gus Guest"))
    member = await services.members.principal_for(Actor("slack", "U778", "Alice A", "alice@example.com"))
    await services.boards.add_category(None, "Hardware/Printers")
    ticket = await services.tickets.create(
        guest, title="Printer jams", category="Hardware/Printers", assignees=[bob, alice],
        attachments=[Attachment("jam.png", "image/png", "https://files.example/jam.png")],
    )
    await services.tickets.add_note(CLI_ADMIN, ticket.number, "checked the tray", internal=True)
    await services.tickets.add_note(guest, ticket.number, "still jammed")
    await services.tickets.add_note(CLI_ADMIN, ticket.number, "ordered a roller", internal=True)
    loaded = await services.tickets.get(ticket.number)
    for viewer in (member, guest, CLI_ADMIN, None):
        read = await services.tickets.read(ticket.number, viewer)
        assert await ticket_view(services.db, read, viewer) == await ticket_view(services.db, loaded, viewer)
    shown = await ticket_view(services.db, await services.tickets.read(ticket.number, guest), guest)
    assert (shown.assignees, shown.category, shown.notes, shown.latest_note.text) == (
        ("Alice", "Bob"), "Printers", 1, "still jammed"
    )
    assert shown.statuses == ("New", "In Progress", "Waiting", "Resolved", "Closed")
    with pytest.raises(NotFound):
        await services.tickets.read(ticket.number + 1, member)
    await services.tickets.create(CLI_ADMIN, title="Printer toner low", assignees=[alice])
    for filters in ({"words": "printer"}, {"involving": member, "open_only": True}, {"limit": 1, "offset": 1}):
        listed, read = await services.tickets.list(**filters), await services.tickets.list_read(**filters)
        assert [t.number for t in read] == [t.number for t in listed] and listed
        assert await ticket_views(services.db, read, member) == await ticket_views(services.db, listed, member)
