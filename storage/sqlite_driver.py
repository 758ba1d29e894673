"""aiosqlite with one hop to its worker thread per statement instead of four.

SQLAlchemy's aiosqlite adapter makes four round trips to the connection's thread for each statement (open a
cursor, execute, fetch the rows, close the cursor), and each round trip costs two thread wake-ups. Measured on
the 2-core machine, a ticket create (about 30 statements) spent most of its 27 ms in those ~120 hand-offs,
with the one SQLite connection held all the while. Here a statement runs, fetches its rows and closes its
sqlite3 cursor in a single call on the thread; the cursor then answers `fetch*`, `description`, `rowcount`
and `lastrowid` from that result. The engine gets these connections through `create_async_engine`'s
`async_creator`, so the SQLAlchemy dialect, pool and events are the stock aiosqlite ones.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.engine import URL


class Cursor:
    """A statement's result, fetched whole on the worker thread by `execute`."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    @staticmethod
    def _run(conn: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> tuple[list[Any], Any, int, Any]:
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

    async def _call(self, many: bool, sql: str, parameters: Any) -> Cursor:
        rows, self.description, self.rowcount, self.lastrowid = await self._connection.run(
            self._run, many, sql, parameters
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


class Connection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors fetch a statement's rows in the same call that runs it."""

    def cursor(self) -> Cursor:  # type: ignore[override]  # aiosqlite's needs a hop to open a sqlite3 cursor
        return Cursor(self)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call `fn(sqlite3_connection, *args)` on the connection's thread."""
        return await self._execute(lambda: fn(self._conn, *args))


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
