"""Scale: 1,000 members and 1,000 then 100,000 tickets on SQLite and PostgreSQL, bulk-loaded with Core inserts.

At each size, 8 concurrent users (desk members) run `my tickets`, `search` for a common word (in 10% of the
tickets) and a rare one (in 5), `show <n>` and a create through the conversation core, in-process (the
database is the subject here, not HTTP). Afterwards the query plans of `my tickets` and of the rare-word search
are printed, and the wall time of a read-only CLI command at 100,000 tickets is measured on SQLite.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, insert, select, text, update

from bench.databases import PostgresDatabases, migrate
from bench.harness import TICKETBOT, ms, percentile
from bench.registry import Bench, Table, register
from bot.seam import Actor, ConversationRef, EventKind, InboundEvent
from bot.services import Services
from bot.settings import Settings
from storage.models import Board, Counter, Member, Note, Status, Ticket, ticket_assignees, utcnow

MEMBERS = 1_000
SIZES = tuple(int(s) for s in os.environ.get("BENCH_SCALE_SIZES", "1000,100000").split(","))
USERS = 8
ITERATIONS = 25  # per user and operation: 200 samples for each percentile (with 96, the p99 was the slowest one)
# Untimed turns per user and operation before those (`_measure`): with 8 users, each of the pooled connections
# runs a statement more than PostgreSQL's five custom plans of a prepared statement.
WARMUP = 8
COMMON, RARE = "printer", "zeppelin"
THINGS = ["printer", "laptop", "vpn", "monitor", "keyboard", "mailbox", "wifi", "phone", "badge", "projector"]
PROBLEMS = ["is broken", "does not start", "is slow", "keeps failing", "needs a replacement", "shows an error"]
CHUNK = 5_000
_keys = itertools.count(1)


async def _seed_members(services: Services) -> None:
    async with services.db.transaction() as session:
        now = utcnow()
        rows = [{"name": f"Member {i:04d}", "email": f"member{i}@example.com", "is_admin": False, "created_at": now}
                for i in range(1, MEMBERS + 1)]
        await session.execute(insert(Member), rows)


async def _load_tickets(services: Services, start: int, stop: int) -> None:
    """Tickets `start`..`stop - 1` (numbers), each with a requester and an assignee; every 10th has a note."""
    rng = random.Random(start)
    async with services.db.sessions() as session:
        board = await session.scalar(select(Board).order_by(Board.id).limit(1))
        statuses = (await session.scalars(select(Status).where(Status.board_id == board.id))).all()
        member_ids = (await session.scalars(select(Member.id).order_by(Member.id))).all()
    open_ids = [s.id for s in statuses if not s.is_closed]
    closed_ids = [s.id for s in statuses if s.is_closed]
    rare = {start + (stop - start) * k // 5 for k in range(5)} if stop - start >= 5 else set()
    base = utcnow() - timedelta(days=365)
    for chunk_start in range(start, stop, CHUNK):
        numbers = range(chunk_start, min(stop, chunk_start + CHUNK))
        tickets, owners = [], []
        for n in numbers:
            thing = THINGS[n % len(THINGS)]
            title = f"{thing.capitalize()} in room {n % 400} {rng.choice(PROBLEMS)}"
            if n in rare:
                title += f" near the {RARE} poster"
            requester = member_ids[rng.randrange(len(member_ids))]
            at = base + timedelta(seconds=n * 30)
            tickets.append({
                "number": n, "board_id": board.id,
                "status_id": rng.choice(open_ids if rng.random() < 0.7 else closed_ids),
                "title": title, "description": f"Reported from desk {n % 97}; ticket body {n}.", "priority": "medium",
                "requester_member_id": requester, "requester_name": f"Member {requester:04d}", "version": 1,
                "created_at": at, "updated_at": at,
            })
            owners.append((n, member_ids[rng.randrange(len(member_ids))]))
        async with services.db.transaction() as session:
            await session.execute(insert(Ticket), tickets)
            query = select(Ticket.number, Ticket.id).where(Ticket.number.in_(list(numbers)))
            ids = dict((await session.execute(query)).all())
            await session.execute(insert(ticket_assignees), [{"ticket_id": ids[n], "member_id": m} for n, m in owners])
            notes = [{"uid": f"bench-{n}", "ticket_id": ids[n], "author_name": "Bench", "text": f"Looked at {n}.",
                      "internal": False, "created_at": base} for n in numbers if n % 10 == 0]
            if notes:
                await session.execute(insert(Note), notes)
            await session.execute(update(Counter).where(Counter.name == "ticket_number").values(value=numbers[-1]))
    if services.db.engine.dialect.name == "postgresql":
        # As after any bulk load: the statistics, and the visibility map that index-only scans need (the assignee
        # part of `my tickets`); left to autovacuum, that would be set at a time of its choosing, perhaps while
        # turns are timed.
        async with services.db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))


def _event(user: int, words: str) -> InboundEvent:
    actor = Actor("bench", f"user-{user}", f"Member {user:04d}", f"member{user}@example.com")
    ref = ConversationRef("bench", f"bench-dm-{user}", scope="personal")
    return InboundEvent(EventKind.MESSAGE, ref, actor, f"scale-{next(_keys)}", text=words)


async def _measure(services: Services, make_text) -> list[float]:
    """Each user's latencies of `ITERATIONS` turns, after `WARMUP` untimed turns each: the steady state, as a
    `serve` that has run a while has it. The first reads of freshly bulk-loaded rows (PostgreSQL setting their
    hint bits, the pages coming into the cache) are the load's cost, not the operation's. So is what each pooled
    PostgreSQL connection does once per statement: asyncpg prepares it, and PostgreSQL plans its first five
    executions with their values (5-7 ms a time for the `my tickets` page at 100,000 tickets) before it settles
    on a generic plan, planned once. With one untimed turn each, those executions were the slowest turns of
    `my tickets` and made its p99 (41-69 ms, against 33-36 ms after eight untimed turns; 8 users in-process)."""
    latencies: list[float] = []

    async def warm(u: int) -> None:
        for i in range(1, WARMUP + 1):
            await services.core.handle(_event(u, make_text(u, -i)))

    async def user(u: int) -> None:
        for i in range(ITERATIONS):
            event = _event(u, make_text(u, i))
            start = time.perf_counter()
            # The request arrives now and waits behind the others that arrived before it, as at a server: a
            # SQLite turn runs to its end without once giving the loop up, so without this each user would
            # run all its turns back to back and the latency would be one turn alone.
            await asyncio.sleep(0)
            await services.core.handle(event)
            latencies.append(time.perf_counter() - start)

    # Every user's warm-up ends before any timed turn: a user timing while others still warmed up waited behind
    # their untimed turns (up to 85 ms on SQLite), which belonged to no operation's figure.
    await asyncio.gather(*(warm(u) for u in range(1, USERS + 1)))
    await asyncio.gather(*(user(u) for u in range(1, USERS + 1)))
    return latencies


@contextmanager
def _frozen() -> Iterator[None]:
    """What this process holds before the turns are measured (earlier scenarios' results, the bulk load's
    leftovers) frozen out of the garbage collector, as `serve` freezes its start-up once listening: a full
    collection walking it landed in the p99 otherwise (44 ms in one PostgreSQL `my tickets` run)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _operations(size: int):
    rng = random.Random(size)
    return [
        ("my tickets", lambda u, i: "my tickets"),
        (f"search (common: {COMMON})", lambda u, i: f"search {COMMON}"),
        (f"search (rare: {RARE})", lambda u, i: f"search {RARE}"),
        ("show <n>", lambda u, i: f"show {rng.randrange(1, size + 1)}"),
        ("create", lambda u, i: f"Title: Scale test {u}-{i} monitor flickers"),
    ]


async def _plans(services: Services) -> list[str]:
    """EXPLAIN of the ticket queries a `my tickets` and a rare-word search send."""
    captured: list[tuple[str, object, str]] = []
    label = ["my tickets"]

    def capture(_conn, _cursor, statement, params, _context, _many) -> None:
        if statement.lstrip().startswith("SELECT tickets.") and "FROM tickets" in statement:
            # The page's tickets, with the list as the IN subquery: one statement.
            captured.append((label[0], params, statement))

    sync = services.db.engine.sync_engine
    event.listen(sync, "before_cursor_execute", capture)
    try:
        await services.core.handle(_event(1, "my tickets"))
        label[0] = f"search {RARE}"
        await services.core.handle(_event(1, f"search {RARE}"))
    finally:
        event.remove(sync, "before_cursor_execute", capture)
    sqlite = services.db.dialect == "sqlite"
    out = []
    async with services.db.engine.connect() as conn:
        for what, params, statement in captured:
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = (await conn.exec_driver_sql(prefix + statement, params)).all()
            plan = "\n".join(str(r[-1]) for r in rows)
            out.append(f"{what} ({'SQLite' if sqlite else 'PostgreSQL'}):\n```\n{plan}\n```")
    return out


# The floor under any command: the interpreter importing the ORM (SQLAlchemy's asyncio extension imports it too)
# and the settings library it cannot do without; and the ORM alone.
FLOOR = [sys.executable, "-c", "import sqlalchemy.orm, sqlalchemy.ext.asyncio, aiosqlite, pydantic_settings"]
ORM = [sys.executable, "-c", "import sqlalchemy.orm"]


def _wall_times(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    # One run first, unmeasured and allowed to write bytecode: an installed package has its .pyc files, while an
    # editable checkout under PYTHONDONTWRITEBYTECODE (as on this machine) would compile our modules every run.
    warm = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, env=warm, capture_output=True, check=True)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def _cli_wall_time(url: str) -> list[list[str]]:
    env = {**os.environ, "DATABASE_URL": url}
    rows = []
    for label, command in (("ticketbot tickets list --json", [TICKETBOT, "tickets", "list", "--json"]),
                           ("floor: python importing SQLAlchemy ORM + aiosqlite + pydantic-settings", FLOOR),
                           ("python importing sqlalchemy.orm alone", ORM)):
        median, best = _wall_times(command, env)
        rows.append([label, f"{median:.2f}", f"{best:.2f}"])
    return rows


@register("scale", order=30)
async def scale(bench: Bench) -> list[Table]:
    backends = [("SQLite", f"sqlite+aiosqlite:///{bench.workdir / 'scale.db'}")]
    postgres = PostgresDatabases(bench.postgres_url) if bench.postgres_url else None
    table = Table(
        f"Scale: {USERS} concurrent users, {MEMBERS:,} members, in-process through the core (ms)",
        ["operation", "backend", *[f"p50 @ {s:,}" for s in SIZES], *[f"p99 @ {s:,}" for s in SIZES], "p99 growth"],
    )
    plans: list[str] = []
    loads: list[str] = []
    cli = None
    try:
        if postgres is not None:
            backends.append(("PostgreSQL", await postgres.new()))
        else:
            await migrate(backends[0][1])
        if postgres is not None:
            await migrate(backends[0][1])
        for name, url in backends:
            services = Services(Settings(_env_file=None, database_url=url))
            try:
                await _seed_members(services)
                figures: dict[str, list[list[float]]] = {}
                loaded = 1
                for size in SIZES:
                    began = time.perf_counter()
                    await _load_tickets(services, loaded, size + 1)
                    loads.append(f"{name}: loaded tickets {loaded:,}–{size:,} in {time.perf_counter() - began:.0f} s")
                    loaded = size + 1
                    with _frozen():
                        for label, make_text in _operations(size):
                            figures.setdefault(label, []).append(await _measure(services, make_text))
                    loaded += USERS * (ITERATIONS + WARMUP)  # the creates (and their warm-up) took the next numbers
                for label, runs in figures.items():
                    p99s = [percentile(r, 99) for r in runs]
                    table.rows.append([label, name, *[ms(percentile(r, 50)) for r in runs], *[ms(p) for p in p99s],
                                       f"{p99s[-1] / p99s[0]:.1f}×" if p99s[0] else "–"])
                plans += await _plans(services)
            finally:
                await services.close()
        cli = await asyncio.to_thread(_cli_wall_time, backends[0][1])
    finally:
        if postgres is not None:
            await postgres.drop_all()
    table.notes += loads
    tables = [table]
    if cli is not None:
        tables.append(Table(f"CLI wall time at {SIZES[-1]:,} tickets, SQLite (5 runs each)",
                            ["command", "median s", "best s"], cli))
    tables.append(Table("Query plans at 100,000 tickets", ["—"], notes=plans))
    return tables
