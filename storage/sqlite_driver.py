"""aiosqlite for SQLAlchemy with each statement run on the event loop's thread, and busy waits awaited there.

SQLAlchemy's aiosqlite adapter makes four round trips to the connection's worker thread for each statement
(open a cursor, execute, fetch the rows, close the cursor), and each round trip costs two thread wake-ups.
Measured on the 2-core machine, one hop costs about 110 µs while the statement itself (an indexed read or a
one-row write in WAL mode) takes about 7 µs, and the turn holds the one SQLite connection all the while: a
`show` spent 4.1 ms in-process with one hop per statement, 2.0 ms with none. So a statement runs, fetches its
rows and closes its sqlite3 cursor in one call on the loop's thread; the cursor then answers `fetch*`,
`description`, `rowcount` and `lastrowid` from that result. aiosqlite's thread still opens and closes the
connection (and sets its isolation level, as the dialect asks it to); the dialect already connects with
`check_same_thread=False`, and the pool hands the connection to one user at a time.

What could stall the loop is SQLite waiting for another process's lock, so the connection's `busy_timeout` is
0 and a transaction starts with `BEGIN IMMEDIATE` (`storage.db`): a busy database then answers at once, at the
`BEGIN` (or at a statement outside any transaction), and the statement is retried after an awaited back-off of
1 to 50 ms, for up to `BUSY_WAIT` seconds. Inside a transaction begun IMMEDIATE, WAL mode never answers busy.
The engine gets these connections through `create_async_engine`'s `async_creator`, so the SQLAlchemy dialect,
pool and events are the stock aiosqlite ones.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.engine import URL


def run_statement(conn: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> tuple[list[Any], Any, int, Any]:
    """Run one statement (for each set of `parameters` when `many`) on a fresh sqlite3 cursor, fetch all its
    rows and close the cursor: (rows, description, rowcount, lastrowid). For `Connection.run`."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class Cursor:
    """A statement's result, fetched whole on the worker thread by `execute`."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def _call(self, many: bool, sql: str, parameters: Any) -> Cursor:
        rows, self.description, self.rowcount, self.lastrowid = await self._connection.run(
            run_statement, many, sql, parameters
        )
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor:
        return await self._call(False, sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        return await self._call(True, sql, parameters)

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = self.arraysize if size is None else size
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    async def fetchall(self) -> Sequence[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


BUSY_WAIT = 10.0  # seconds a statement waits for another process's lock before it fails, as busy_timeout did
_BACK_OFF = (0.001, 0.05)  # first and longest pause between tries, doubling


class Connection(aiosqlite.Connection):
    """An aiosqlite connection whose statements, commits and rollbacks run on the loop's thread."""

    def cursor(self) -> Cursor:  # type: ignore[override]  # aiosqlite's needs a hop to open a sqlite3 cursor
        return Cursor(self)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(sqlite3_connection, *args)`, tried again while another process holds the lock and no transaction of
        ours is open (so trying again repeats nothing)."""
        conn = self._conn
        pause, longest = _BACK_OFF
        deadline: float | None = None
        while True:
            try:
                return fn(conn, *args)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or conn.in_transaction:
                    raise
                now = asyncio.get_running_loop().time()
                deadline = now + BUSY_WAIT if deadline is None else deadline
                if now >= deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, longest)

    async def begin_immediate(self) -> None:
        """Begin a transaction that holds the write lock from the start (waiting, as any statement does, while
        another process has it)."""
        await self.run(_begin_immediate)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()


def _begin_immediate(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")


def creator(url: URL) -> Callable[[], Any]:
    """An `async_creator` for `url`: the connect arguments SQLAlchemy's aiosqlite dialect would use."""
    from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite

    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(url)

    async def connect() -> Connection:
        connection = Connection(partial(sqlite3.connect, *args, **kwargs), iter_chunk_size=64)
        connection._thread.daemon = True
        await connection
        return connection

    return connect
