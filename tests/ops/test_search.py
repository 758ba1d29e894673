"""Search through the full-text indexes and the `my tickets` filters, on SQLite and PostgreSQL.

Words match literally as substrings of the title or the description: `%` and `_` are characters, not
wildcards, whether the word goes through the trigram index (3 characters or more) or the LIKE fallback.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.desk.listing import listing
from bot.desk.principal import CLI_ADMIN, Principal
from bot.desk.views import latest_public_notes, ticket_views


async def _titles(services, words: str) -> list[str]:
    return [t.title for t in await services.tickets.list(words=words)]


async def test_words_match_substrings_of_title_or_description_case_insensitively(services):
    await services.tickets.create(CLI_ADMIN, title="Printer jammed on floor 3")
    await services.tickets.create(CLI_ADMIN, title="VPN drops", description="Every hour the PRINTER queue stalls")
    await services.tickets.create(CLI_ADMIN, title="Monitor flickers")
    assert await _titles(services, "printer") == ["VPN drops", "Printer jammed on floor 3"]
    assert await _titles(services, "print jam") == ["Printer jammed on floor 3"]
    assert await _titles(services, "queue printer") == ["VPN drops"]
    assert await _titles(services, "scanner") == []


async def test_percent_and_underscore_are_literal(services):
    await services.tickets.create(CLI_ADMIN, title="CPU at 100% all day")
    await services.tickets.create(CLI_ADMIN, title="CPU at 1000 MHz")
    await services.tickets.create(CLI_ADMIN, title="share a_b is gone")
    await services.tickets.create(CLI_ADMIN, title="share axb is gone")
    assert await _titles(services, "100%") == ["CPU at 100% all day"]
    assert await _titles(services, "0%") == ["CPU at 100% all day"]
    assert await _titles(services, "a_b") == ["share a_b is gone"]
    assert await _titles(services, "_") == ["share a_b is gone"]
    assert await _titles(services, "%") == ["CPU at 100% all day"]


async def test_search_follows_changed_titles(services):
    ticket = await services.tickets.create(CLI_ADMIN, title="Keyboard sticky")
    await services.tickets.update(CLI_ADMIN, ticket.number, title="Mouse broken")
    assert await _titles(services, "keyboard") == []
    assert await _titles(services, "mouse") == ["Mouse broken"]


async def test_requester_and_assignee_filters(services):
    alice = await services.members.add("Alice", "alice@example.com")
    bob = await services.members.add("Bob", "bob@example.com")
    as_alice = Principal(name="Alice", member_id=alice.id)
    mine = await services.tickets.create(CLI_ADMIN, title="Alice's laptop", requester=as_alice)
    other = await services.tickets.create(CLI_ADMIN, title="Someone else's")
    await services.tickets.assign(CLI_ADMIN, other.number, [bob])
    assert [t.number for t in await services.tickets.list(requester=as_alice)] == [mine.number]
    assert [t.number for t in await services.tickets.list(assignee_id=bob.id)] == [other.number]
    assert await services.tickets.list(assignee_id=alice.id) == []


async def test_my_tickets_pages_through_requested_and_assigned_newest_first(services):
    alice = await services.members.add("Alice", "alice@example.com")
    as_alice = Principal(name="Alice", member_id=alice.id)
    mine = []
    for i in range(12):  # requested, assigned, both, or neither, interleaved; some closed
        requester = as_alice if i % 3 == 0 else CLI_ADMIN
        ticket = await services.tickets.create(CLI_ADMIN, title=f"Ticket {i}", requester=requester)
        if i % 4 == 1 or i == 6:
            await services.tickets.assign(CLI_ADMIN, ticket.number, [alice])
        if i in (3, 5):
            await services.tickets.update(CLI_ADMIN, ticket.number, status="Closed")
        if (i % 3 == 0 or i % 4 == 1 or i == 6) and i not in (3, 5):
            mine.append(ticket.number)
    expected = sorted(mine, reverse=True)
    pages = [[t.number for t in await services.tickets.list_read(involving=as_alice, open_only=True, limit=2,
                                                                  offset=offset)] for offset in range(0, 10, 2)]
    assert [n for page in pages for n in page] == expected
    assert all(len(page) == 2 for page in pages[: len(expected) // 2])


async def test_one_statement_serves_every_member_of_a_shape_with_their_own_tickets(services):
    alice = await services.members.add("Alice", "alice@example.com")
    bob = await services.members.add("Bob", "bob@example.com")
    as_alice, as_bob = Principal(name="Alice", member_id=alice.id), Principal(name="Bob", member_id=bob.id)
    hers = await services.tickets.create(CLI_ADMIN, title="Alice's printer", requester=as_alice)
    his = await services.tickets.create(CLI_ADMIN, title="Bob's printer", requester=as_bob)
    sqlite = services.db.dialect == "sqlite"
    statement_a, _ = listing({"involving": as_alice, "words": "printer"}, sqlite=sqlite)
    statement_b, _ = listing({"involving": as_bob, "words": "printer"}, sqlite=sqlite)
    assert statement_a is statement_b
    assert [t.number for t in await services.tickets.list(involving=as_alice, words="printer")] == [hers.number]
    assert [t.number for t in await services.tickets.list(involving=as_bob, words="printer")] == [his.number]
    assert [t.number for t in await services.tickets.list(involving=as_bob, words="alice")] == []


async def test_the_latest_public_notes_of_a_page_come_in_one_query(services):
    first = await services.tickets.create(CLI_ADMIN, title="One")
    second = await services.tickets.create(CLI_ADMIN, title="Two")
    third = await services.tickets.create(CLI_ADMIN, title="Three")
    await services.tickets.add_note(CLI_ADMIN, first.number, "old")
    await services.tickets.add_note(CLI_ADMIN, first.number, "new")
    await services.tickets.add_note(CLI_ADMIN, first.number, "secret", internal=True)
    await services.tickets.add_note(CLI_ADMIN, second.number, "only internal", internal=True)
    notes = await latest_public_notes(services.db, [first.id, second.id, third.id])
    assert {ticket_id: n.text for ticket_id, n in notes.items()} == {first.id: "new"}
    views = await ticket_views(services.db, await services.tickets.list())
    assert [(v.number, v.latest_note.text if v.latest_note else None) for v in views] == [
        (third.number, None), (second.number, None), (first.number, "new")
    ]


async def test_the_indexes_exist(services):
    async with services.db.engine.connect() as conn:
        if services.db.dialect == "sqlite":
            names = set((await conn.execute(text("SELECT name FROM sqlite_master"))).scalars())
            assert "tickets_fts" in names
        else:
            names = set((await conn.execute(text("SELECT indexname FROM pg_indexes"))).scalars())
            assert {"ix_tickets_title_trgm", "ix_tickets_description_trgm"} <= names
            options = (await conn.execute(text(
                "SELECT relname, reloptions FROM pg_class WHERE relname LIKE 'ix_tickets_%_trgm'"
            ))).all()
            # a search scans the whole pending list: kept small (migration 0009)
            assert sorted(options) == [("ix_tickets_description_trgm", ["gin_pending_list_limit=256"]),
                                       ("ix_tickets_title_trgm", ["gin_pending_list_limit=256"])]
    wanted = {"ix_tickets_requester_member_number", "ix_tickets_requester_identity_number",
              "ix_ticket_assignees_member_ticket"}
    assert wanted <= names


async def test_each_part_of_my_tickets_reads_its_index_newest_first(services):
    """SQLite's plan of `my tickets`: the requester parts walk their indexes in number order (no sort of their
    own), the assignee part reads the assignee index alone (migration 0011)."""
    if services.db.dialect != "sqlite":
        pytest.skip("PostgreSQL plans a table this small by its statistics; the bench prints its plan at 100,000")
    statement, values = listing({"involving": Principal(name="A", member_id=1, identity_id=1), "open_only": True,
                                 "limit": 11}, sqlite=True, ids_only=True)
    compiled = statement.compile(services.db.engine.sync_engine)
    params = compiled.construct_params(values)
    async with services.db.engine.connect() as conn:
        plan = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}",
                                           tuple(params[name] for name in compiled.positiontup or ()))).all()
    details = [detail for _id, _parent, _unused, detail in plan]
    assert "SEARCH ticket_assignees USING COVERING INDEX ix_ticket_assignees_member_ticket (member_id=?)" in details
    for index, column in (("member_number", "member_id"), ("identity_number", "identity_id")):
        search = f"SEARCH tickets USING INDEX ix_tickets_requester_{index} (requester_{column}=?)"
        part = next(parent for _id, parent, _unused, detail in plan if detail == search)
        assert [d for _id, parent, _unused, d in plan if parent == part and "TEMP B-TREE" in d] == []
