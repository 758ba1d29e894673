"""Statements sent directly on SQLite (`storage.direct`) write and read what SQLAlchemy's `session.execute` does,
inside the session's own transaction, and fail as it fails; on PostgreSQL they go through `session.execute`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.direct import Direct
from storage.models import Board, Member, table_of

M = table_of(Member)
B = table_of(Board)
COLUMNS = ("name", "email", "is_admin", "preferred_platform", "created_at")
ADD = Direct(insert(M).returning(M.c.id, M.c.created_at), COLUMNS)
BY_EMAIL = Direct(select(M.c.id, M.c.name, M.c.is_admin, M.c.preferred_platform, M.c.created_at).where(M.c.email == bindparam("email")))
RENAME = Direct(update(M).where(M.c.email == bindparam("who")).values(name=func.upper(M.c.name)).returning(M.c.name))
NAMED = Direct(select(M.c.email).where(M.c.name == bindparam("who", "Ada")))  # a parameter with a value of its own
KEYWORDS = Direct(select(B.c.name, B.c.keywords).where(B.c.id == bindparam("board")))
AT = datetime(2026, 12, 7, 23, 1, 2, 345678, tzinfo=UTC)


def ada(email: str = "ada@example.com") -> dict:
    return {"name": "Ada", "email": email, "is_admin": True, "preferred_platform": None, "created_at": AT}


async def emails(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(M.c.email).where(M.c.email.is_not(None)).order_by(M.c.email))).all())


async def test_rows_come_back_as_sqlalchemy_gives_them_with_their_names_and_types(services):
    async with services.db.unit() as session:
        added = (await ADD.run(session, ada())).one()
        assert added[1] == AT and added[1].tzinfo is not None
        direct = (await BY_EMAIL.run(session, {"email": "ada@example.com"})).one()
        through_sqlalchemy = (await session.execute(BY_EMAIL.statement, {"email": "ada@example.com"})).one()
        assert tuple(direct) == tuple(through_sqlalchemy) == (added[0], "Ada", True, None, AT)
        assert [type(v) for v in direct] == [type(v) for v in through_sqlalchemy]
        assert (direct.name, direct.is_admin, direct.created_at) == ("Ada", True, AT)
        assert (await NAMED.run(session)).scalar_one() == "ada@example.com"
        assert (await NAMED.run(session, {"who": "Grace"})).first() is None
        assert (await RENAME.run(session, {"who": "ada@example.com"})).scalar_one() == "ADA"
        assert (await BY_EMAIL.run(session, {"email": "nobody@example.com"})).first() is None
        board = await session.scalar(select(B.c.id).limit(1))
        await session.execute(update(B).where(B.c.id == board).values(keywords=["printer", "ünïcode"]))
        assert (await KEYWORDS.run(session, {"board": board})).one().keywords == ["printer", "ünïcode"]


async def test_a_direct_statement_is_part_of_the_session_s_transaction(services):
    async with AsyncSession(services.db.engine) as session:
        async with session.begin():
            await ADD.run(session, ada("kept@example.com"))
        with pytest.raises(RuntimeError):
            async with session.begin():  # a new transaction of the same session: the row goes with its rollback
                await ADD.run(session, ada("dropped@example.com"))
                raise RuntimeError("the turn failed")
    async with services.db.sessions() as session:
        assert await emails(session) == ["kept@example.com"]


async def test_a_refused_statement_raises_as_sqlalchemy_raises_and_the_unit_rolls_back(services):
    async with services.db.unit() as session:
        await ADD.run(session, ada())
    with pytest.raises(IntegrityError):
        async with services.db.unit() as session:
            await ADD.run(session, ada("grace@example.com"))
            await ADD.run(session, ada())  # the email is taken
    async with services.db.sessions() as session:
        assert await emails(session) == ["ada@example.com"]


async def test_an_insert_takes_exactly_its_columns(services):
    async with services.db.unit() as session:
        with pytest.raises(ValueError, match="exactly"):
            await ADD.run(session, {**ada(), "extra": 1})
        with pytest.raises(ValueError, match="exactly"):
            await ADD.run(session, {k: v for k, v in ada().items() if k != "created_at"})
        assert await emails(session) == []


@pytest.mark.parametrize(
    "statement",
    [
        insert(M).returning(M.c.id),  # is_admin and created_at would be filled in by their Python-side defaults
        select(M.c.id).where(M.c.id.in_(bindparam("ids", expanding=True))),  # SQLAlchemy expands the list per call
    ],
)
async def test_statements_sqlalchemy_completes_per_call_are_refused_on_sqlite(sqlite_services, statement):
    params = {"name": "Ada"} if statement.is_dml else {"ids": [1]}
    columns = ("name",) if statement.is_dml else None
    async with sqlite_services.db.unit() as session:
        with pytest.raises(ValueError, match=r"default|expanding"):
            await Direct(statement, columns).run(session, params)
