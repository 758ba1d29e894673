"""Statement budgets: how many SQL statements (and transactions) one turn costs, through the real core.

The budgets are today's counts, so a change that adds a statement to a create or a `show` fails here and
has to say why. A turn is one transaction (the idempotency key and the change commit together); the counts
include the SAVEPOINT/RELEASE pairs of the domain's inner transactions. Whoever makes a turn cheaper lowers
the numbers (they were 18 statements in 9 transactions and 7 in 5 before turns became one transaction, then
32 and 15 until the turn stopped re-reading what it knew: boards once per unit, the speaker in one joined read,
no dialog-state delete when none was stored, a new ticket's card in one statement, then 17 until the boards
came with their workflows in one statement and a board without categories needed no statement to say so, then
15 until the planner read the board's rules and the active forwards in one statement, then 14 until the card of
a ticket just opened needed no statement: it has no notes to count, then 13 until the create, refused only
before it writes, left out its SAVEPOINT and RELEASE, then 11 until the conversation, the speaker and the
dialog state came in one statement at the start of every turn); a `show` went from 9 to 7 when the ticket, its assignees
and its board's workflow came in one statement, and to 5 with that opening read; `my tickets` from 10 to 9 when
the page's tickets came in the list's own statement, and to 7 with it. A create went to 8 when the boards were
kept across turns by their version, and to 7 when the notification audience was too.

None of these turns sends a statement through the ORM's execution path: one column of a mapped class's
attribute in a statement is enough to route all of it there (the opening read did, briefly).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.orm import Session

from storage import sqlite_driver
from tests.chat_helpers import Chat, texts

# By backend, as they can differ: SQLite's BEGIN IMMEDIATE was a statement of its own until it went straight to
# the driver (`storage.db`), and PostgreSQL's conversation lock one more until the statement that records the
# event's key took it.
CREATE_STATEMENTS = {"sqlite": 6, "postgresql": 6}
CREATE_TRANSACTIONS = 1
SHOW_STATEMENTS = {"sqlite": 4, "postgresql": 4}
SHOW_TRANSACTIONS = 1
MY_TICKETS_STATEMENTS = {"sqlite": 6, "postgresql": 6}
MY_TICKETS_TRANSACTIONS = 1


@dataclass
class Tally:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0
    through_orm: list[str] = field(default_factory=list)


@contextmanager
def counting(engine) -> Iterator[Tally]:
    """Count the statements sent and the transactions begun on `engine` while inside, and note the statements
    that went through the ORM's execution path (about 30 µs more each than a Core statement). On SQLite the
    statements are counted where the driver runs them, so those sent directly (`storage.direct`), which
    SQLAlchemy's events do not see, count too."""
    tally = Tally()

    def note(statement: str) -> None:
        tally.statements.append(statement.split("\n")[0][:80])

    def on_statement(_conn, _cursor, statement, _params, _context, _many) -> None:
        note(statement)

    driver_run = sqlite_driver.Connection.run

    async def run(self, fn, *args):
        for sql in (arg for arg in args if isinstance(arg, str)):  # a statement's SQL; BEGIN IMMEDIATE has none
            note(sql)
        return await driver_run(self, fn, *args)

    def on_begin(_conn) -> None:
        tally.transactions += 1

    def on_orm(state) -> None:
        if state.is_orm_statement:
            tally.through_orm.append(f"{type(state.statement).__name__} of {state.bind_mapper}")

    sync = engine.sync_engine
    on_sqlite = engine.dialect.name == "sqlite"
    if on_sqlite:
        sqlite_driver.Connection.run = run  # type: ignore[method-assign]
    else:
        event.listen(sync, "before_cursor_execute", on_statement)
    event.listen(sync, "begin", on_begin)
    event.listen(Session, "do_orm_execute", on_orm)
    try:
        yield tally
    finally:
        if on_sqlite:
            sqlite_driver.Connection.run = driver_run  # type: ignore[method-assign]
        else:
            event.remove(sync, "before_cursor_execute", on_statement)
        event.remove(sync, "begin", on_begin)
        event.remove(Session, "do_orm_execute", on_orm)


async def test_a_create_stays_within_its_statement_budget(services):
    chat = Chat(services)
    # The first turn in a conversation also records it, and the first create reads the boards (then kept across
    # turns): budgets are for the usual turn.
    await chat.say("Title: Printer on 2 is jammed")
    with counting(services.db.engine) as tally:
        reply = await chat.say("Title: Printer on 3 is jammed")
    assert "#2" in texts(reply)
    assert len(tally.statements) <= CREATE_STATEMENTS[services.db.dialect], tally.statements
    assert tally.transactions <= CREATE_TRANSACTIONS
    assert tally.through_orm == []


async def test_a_show_stays_within_its_statement_budget(services):
    chat = Chat(services)
    await chat.say("Title: Printer on 3 is jammed")
    with counting(services.db.engine) as tally:
        reply = await chat.say("show 1")
    assert "Printer on 3 is jammed" in texts(reply)
    assert len(tally.statements) <= SHOW_STATEMENTS[services.db.dialect], tally.statements
    assert tally.transactions <= SHOW_TRANSACTIONS
    assert tally.through_orm == []


async def test_my_tickets_stays_within_its_statement_budget(services):
    chat = Chat(services)
    for i in range(12):  # more than a page, so the turn also keeps the next page for `more`
        await chat.say(f"Title: Printer {i} is jammed")
    with counting(services.db.engine) as tally:
        reply = await chat.say("my tickets")
    assert "Printer 11 is jammed" in texts(reply)
    assert len(tally.statements) <= MY_TICKETS_STATEMENTS[services.db.dialect], tally.statements
    assert tally.transactions <= MY_TICKETS_TRANSACTIONS
    assert tally.through_orm == []
