"""The async database engine and session factory, tuned per backend, and the unit of work of one turn.

SQLite runs in WAL mode with `synchronous=NORMAL` and foreign keys on, through ONE pooled connection
(`storage.sqlite_driver`: statements on the loop's thread; every transaction `BEGIN IMMEDIATE`, a busy database
waited for with awaited back-off, not inside SQLite): measured here, the default
pool makes writers fight over the file lock (p99 1-2 s), while one connection gives the same throughput with
p99 under 200 ms. PostgreSQL uses asyncpg with a fixed pool of
`pool_size` connections and no overflow: overflow connections are opened and closed again under load (the
measured cost of the old 10 + 10 pool at 64 concurrent turns); with a fixed pool, turns beyond it wait for a
connection instead. Each process holds up to `pool_size` server connections (PostgreSQL's `max_connections`,
100 by default, bounds processes × pool size).

`unit()` opens one transaction for a whole piece of work (a chat turn: its idempotency key, the conversation, the
identity, the change and its deliveries). Inside it, `transaction()` is a SAVEPOINT of that transaction (so a
refused change still changes nothing), `writing()` the unit's own session for a change refused, if at all, before
it writes, and `sessions()` reads through the same session, so the turn commits, or rolls back, as one. pysqlite's
own transaction handling breaks SAVEPOINT; the engine takes it over (SQLAlchemy's documented recipe: no implicit
BEGIN from the driver, ours on `begin`).

Reads ahead: `prefetch` leaves a row that one statement read for the service that would read it (`first_row`,
`take`); `kept_or_read` keeps a value for every later session of the database in this process while a version
read with each turn stays the same (`VERSIONS`: the boards and the notification audience).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import Executable, Label, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import await_

from storage import sqlite_driver
from storage.models import Board, Category, Counter, Forward, Recipient, Rule, Status, table_of

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=0"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # Straight to the driver: through `exec_driver_sql` this one fixed statement of every turn took ~40 µs of
    # SQLAlchemy's execution path for ~3 µs of SQLite. A failure (another process kept the lock) is raised as
    # SQLAlchemy raises a statement's.
    try:
        await_(connection.connection.driver_connection.begin_immediate())
    except sqlite3.Error as exc:
        raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error, dialect=connection.dialect) from exc


PREFETCHED = "storage.prefetched"
_NOT_READ: Any = object()


def prefetch(session: AsyncSession, lookup: str, key: Hashable, row: Any) -> None:
    """Leave `row` (None: there is no such row) for the next `first_row(session, lookup, key, …)` or `take`."""
    session.info.setdefault(PREFETCHED, {})[(lookup, key)] = row


def take(session: AsyncSession, lookup: str, key: Hashable, default: Any = None) -> Any:
    """What a read ahead in this session left for `lookup` at `key`, taken once (`default` when nothing was
    left). Taken once, so a read after the session's own writes reads anew."""
    rows = session.info.get(PREFETCHED)
    return rows.pop((lookup, key), default) if rows else default


async def first_row(
    session: AsyncSession, lookup: str, key: Hashable, statement: Executable, params: dict[str, Any]
) -> Any:
    """The row a read ahead in this session left for `lookup` at `key` (None when it found none), taken once;
    else `statement`'s first row."""
    row = take(session, lookup, key, _NOT_READ)
    return (await session.execute(statement, params)).first() if row is _NOT_READ else row


T = TypeVar("T")
KEPT = "storage.kept"  # in every session's `info`: what is kept, by version name, as (version, value)
VERSION = "storage.version"  # the lookup under which the opening read leaves each version (the key: its name)
BOARDS_VERSION = "boards_version"  # boards, statuses and categories (`bot.desk.boards.all_boards`)
AUDIENCE_VERSION = "audience_version"  # notification rules, recipients and forwards (`bot.notify.planner`)
# What the database bumps each counter for (migration 0010's triggers): a change in this session to one of these
# makes the version this session read ahead no longer the one it reads at.
_VERSIONED: dict[type, str] = {
    Board: BOARDS_VERSION, Status: BOARDS_VERSION, Category: BOARDS_VERSION,
    Rule: AUDIENCE_VERSION, Recipient: AUDIENCE_VERSION, Forward: AUDIENCE_VERSION,
}
VERSIONS = tuple(dict.fromkeys(_VERSIONED.values()))
_COUNTERS = table_of(Counter)


def version_column(name: str) -> Label[Any]:
    """The counter `name` as a column (a scalar subquery), for a statement that reads it ahead."""
    return select(_COUNTERS.c.value).where(_COUNTERS.c.name == name).scalar_subquery().label(name)


async def kept_or_read(session: AsyncSession, version: str, read: Callable[[bool], Awaitable[T]]) -> T:
    """What the counter `version` guards: the value kept in this process at the version this session's opening
    read found (taken once), else `await read(keeping)`, kept for later sessions when that version is known.

    `keeping` says whether it will be kept: later sessions, and concurrent turns, then share the value, so it
    must be read-only, loaded whole (nothing left to load lazily) and in no session, where a rollback would
    expire it. Unknown means not read ahead (the API, the CLI, mail) or changed by this session since."""
    at = take(session, VERSION, version)
    shelf: dict[str, tuple[Any, Any]] | None = session.info.get(KEPT) if at is not None else None
    if shelf is not None:
        entry = shelf.get(version)
        if entry is not None and entry[0] == at:
            return cast(T, entry[1])
    value = await read(shelf is not None)
    if shelf is not None:
        shelf[version] = (at, value)
    return value


class _Session(Session):
    """The sessions of `Database`: a flush that writes versioned rows forgets the versions read ahead for them.
    Every change to those tables is made on ORM objects (a Core UPDATE or DELETE of them would not be seen here;
    the next turn would still read the new version)."""


@event.listens_for(_Session, "before_flush")
def _forget_versions(session: Session, _context: Any, _instances: Any) -> None:
    rows = session.info.get(PREFETCHED)
    if not rows:
        return
    for instance in (*session.new, *session.dirty, *session.deleted):
        name = _VERSIONED.get(type(instance))
        if name is not None:
            rows.pop((VERSION, name), None)


TOOL_POOL_SIZE = 5  # one-off tools and tests; the services pass the setting TICKETBOT_DB_POOL_SIZE


def make_engine(url: str, pool_size: int = TOOL_POOL_SIZE) -> AsyncEngine:
    """An engine for `url`: one shared connection on SQLite, a fixed pool of `pool_size` on PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(
            url,
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            async_creator=sqlite_driver.creator(parsed),
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=60, pool_pre_ping=True)


class Database:
    """The engine and the session factory of one database."""

    def __init__(self, url: str, *, pool_size: int = TOOL_POOL_SIZE) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size)
        # Every session's `info` holds the same KEPT dict: what `keep` leaves there outlives the session.
        self._factory = async_sessionmaker(
            self.engine, expire_on_commit=False, info={KEPT: {}}, sync_session_class=_Session
        )
        self._unit: ContextVar[AsyncSession | None] = ContextVar(f"unit-{id(self)}", default=None)

    @property
    def dialect(self) -> str:
        """The backend's name: "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[AsyncSession]:
        """One transaction for a whole piece of work; inside one already, that one.

        On SQLite the session is committed (or rolled back) and closed by direct calls. SQLAlchemy's context
        managers run each of those in a task of its own behind a shield, so that a cancellation cannot cut them
        short: two more tasks and passes of the event loop in every turn (about 40 µs of a unit's 180 µs, measured
        on the 2-core machine). On SQLite there is nothing for them to guard: the driver commits, rolls back and
        returns the connection on the loop's thread without waiting, so no cancellation can land in between.
        PostgreSQL's commit waits for the server, so there the context managers stay."""
        current = self._unit.get()
        if current is not None:
            yield current
            return
        if self.dialect != "sqlite":
            async with self._factory() as session, session.begin():
                token = self._unit.set(session)
                try:
                    yield session
                finally:
                    self._unit.reset(token)
            return
        session = self._factory()
        token = self._unit.set(session)
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            self._unit.reset(token)
            await session.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any error.

        Inside a unit it is a savepoint of the unit's transaction, kept or rolled back the same way.
        """
        current = self._unit.get()
        if current is not None:
            async with current.begin_nested():
                yield current
            return
        async with self._factory() as session, session.begin():
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session for a change that nothing refuses once it writes (one statement, or several after every
        check): inside a unit, the unit's session as it is; otherwise a transaction of its own.

        No savepoint: a refusal (a domain error, which the turn answers and then commits) must come before the
        first write; any other failure rolls the whole unit back. A savepoint and its release, with the nested
        transaction's flushes, were 7% of a chat create's CPU."""
        current = self._unit.get()
        if current is not None:
            yield current
            return
        async with self._factory() as session, session.begin():
            yield session

    def insert(self, model: type[Any]) -> postgresql.Insert | sqlite.Insert:
        """A Core INSERT into a mapped class's table for this backend, with its `ON CONFLICT` clauses (the table,
        not the class: an ORM insert run with parameters is a bulk insert, which reports no row count)."""
        # Imported here: the PostgreSQL dialect's modules cost a SQLite process ~35 ms of start-up (the CLI's).
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            return postgresql_insert(model.__table__)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(model.__table__)

    @asynccontextmanager
    async def sessions(self) -> AsyncIterator[AsyncSession]:
        """A session for reading (the unit's, inside one)."""
        current = self._unit.get()
        if current is not None:
            yield current
            return
        async with self._factory() as session:
            yield session

    async def ping(self) -> bool:
        """Whether the database answers."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
