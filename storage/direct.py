"""The statements every turn sends, run straight on SQLite's connection: compiled by SQLAlchemy once, their
values and rows converted by SQLAlchemy's own type processors.

Through an `AsyncSession`, a prebuilt Core statement on SQLite cost about 40 µs of SQLAlchemy's execution path
(the greenlet it starts, the session's and the connection's bookkeeping, the execution context, the result) for
3–5 µs of SQLite's own work, measured on the 2-core machine: six of them were about a seventh of a chat
create's CPU in-process. A `Direct` statement sends the SQL that SQLAlchemy compiled for it, with the values
that SQLAlchemy's bind processors make of the parameters, on the connection of the session's own transaction
(taken through the session, so the transaction has begun), and gives the rows through the columns' result
processors: what `session.execute` sends and answers, without its path. SQLite's errors come as SQLAlchemy's
(`IntegrityError`, `OperationalError`). On PostgreSQL the statement goes through `session.execute` as before:
asyncpg's connection belongs to SQLAlchemy's adapter, which begins the transaction on the first statement it
sees.

Only statements whose values are all given qualify: an INSERT names its columns (`columns`), and a statement
that SQLAlchemy would complete with a column's Python-side default, or whose `IN` list it expands per call, is
refused when first compiled. SQLAlchemy's statement events do not see these statements; the statement budgets
count what SQLite runs (`tests/ops/test_statement_budget.py`).
"""

from __future__ import annotations

import sqlite3
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement

from storage.sqlite_driver import run_statement

# session.info: (a weak reference to the root transaction, its driver connection). Weak, because the transaction
# refers to the session: held strongly here, every session would be cyclic garbage, left for the collector.
_DRIVER = "storage.direct.driver"
_REQUIRED = object()  # a parameter without a value of its own

Processor = Callable[[Any], Any] | None


class Rows:
    """A direct statement's answer, read as a SQLAlchemy result is read."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def all(self) -> list[tuple[Any, ...]]:
        return self.rows

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def one(self) -> tuple[Any, ...]:
        if not self.rows:
            raise NoResultFound("No row was found when one was required")
        if len(self.rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self.rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


class _Compiled:
    """A statement's SQLite SQL with, for each `?` in order, where its value comes from and its processor."""

    def __init__(self, statement: Executable, columns: Sequence[str] | None, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, cast(ClauseElement, statement).compile(
            dialect=dialect, column_keys=list(columns) if columns is not None else None
        ))
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError(f"a column's Python-side default would complete this statement: {compiled}")
        self.sql = str(compiled)
        self.binds: list[tuple[str, Any, Processor]] = []
        for name in compiled.positiontup or ():
            bind: BindParameter[Any] = compiled.binds[name]
            if bind.expanding or bind.callable is not None:
                raise ValueError(f"an expanding or computed parameter cannot be sent directly: {name}")
            literal = _REQUIRED if bind.required else bind.value
            self.binds.append((bind.key, literal, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        returned = list(getattr(statement, "exported_columns", ()))  # a SELECT's columns, an INSERT's RETURNING
        self.results: list[Processor] = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in returned]
        keys = [c.key for c in returned]
        # Rows answer to their columns' names, as SQLAlchemy's do, where the names can be a tuple's fields.
        named = all(isinstance(k, str) and k.isidentifier() and not k.startswith("_") for k in keys)
        self.shape: Callable[[Iterable[Any]], tuple[Any, ...]] = tuple
        if named and len(set(keys)) == len(keys):
            row_type: Any = namedtuple("Row", keys)  # type: ignore[misc]  # the names are known only here
            self.shape = row_type._make

    def values(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The parameters in order, processed: a parameter given by its key, else the statement's own value (as
        SQLAlchemy's `construct_params` takes them)."""
        values = []
        for key, literal, process in self.binds:
            value = params[key] if key in params or literal is _REQUIRED else literal
            values.append(value if process is None else process(value))
        return tuple(values)

    def rows(self, raw: list[Any]) -> list[tuple[Any, ...]]:
        processors, shape = self.results, self.shape
        if not any(processors):
            return [shape(row) for row in raw]
        return [shape(v if p is None else p(v) for v, p in zip(row, processors, strict=True)) for row in raw]


class Direct:
    """A Core statement sent straight to SQLite's connection (through `session.execute` on other backends).

    `columns`: for an INSERT given its values as parameters, the columns every call gives (as a dict with exactly
    those keys); SQLAlchemy would otherwise take them from each call's parameters."""

    def __init__(self, statement: Executable, columns: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.columns = frozenset(columns) if columns is not None else None
        self._column_order = tuple(columns) if columns is not None else None
        self._compiled: _Compiled | None = None

    async def run(self, session: AsyncSession, params: Mapping[str, Any] | None = None) -> Any:
        """Execute within the session's transaction; a `Rows` on SQLite, SQLAlchemy's result elsewhere."""
        given: Mapping[str, Any] = params or {}
        if self.columns is not None and given.keys() != self.columns:
            raise ValueError(f"this INSERT takes exactly {sorted(self.columns)}, not {sorted(given)}")
        assert session.bind is not None  # the sessions of `storage.db.Database` are bound to its engine
        dialect = session.bind.dialect
        if dialect.name != "sqlite":
            return await session.execute(self.statement, given)
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = _Compiled(self.statement, self._column_order, dialect)
        values = compiled.values(given)
        driver = await _driver(session)
        try:
            raw, _description, rowcount, _lastrowid = await driver.run(run_statement, False, compiled.sql, values)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(compiled.sql, values, exc, sqlite3.Error, dialect=dialect) from exc
        return Rows(compiled.rows(raw), rowcount)


async def _driver(session: AsyncSession) -> Any:
    """The driver connection of the session's transaction, begun if it was not yet (kept per transaction: a
    session that committed begins a new one, on a connection checked out anew)."""
    transaction = session.sync_session.get_transaction()
    kept = session.info.get(_DRIVER)
    if transaction is not None and kept is not None and kept[0]() is transaction:
        return kept[1]
    connection = (await session.connection()).sync_connection
    assert connection is not None  # an AsyncSession's connection is always connected
    driver = connection.connection.driver_connection
    session.info[_DRIVER] = (weakref.ref(session.sync_session.get_transaction()), driver)
    return driver
