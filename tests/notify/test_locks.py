"""The conversation lock serialises one conversation across processes (two engines on one PostgreSQL)."""

from __future__ import annotations

import asyncio

from storage.db import Database
from storage.locks import conversation_lock


async def test_one_conversation_is_handled_by_one_holder_at_a_time(db_url):
    first, second = Database(db_url), Database(db_url)  # two engines: as two processes would have
    order: list[str] = []

    async def turn(db: Database, name: str, conversation: str, hold: float) -> None:
        async with conversation_lock(db, "teams", conversation):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    try:
        holder = asyncio.create_task(turn(first, "a", "19:x", 0.3))
        await asyncio.sleep(0.1)
        await asyncio.gather(turn(second, "b", "19:x", 0), turn(second, "c", "19:other", 0), holder)
    finally:
        await first.close()
        await second.close()
    if first.is_sqlite:
        assert order.index("b in") < order.index("a out")  # nothing to serialise across processes on SQLite
    else:
        assert order.index("b in") > order.index("a out")  # b waited for a
        assert order.index("c in") < order.index("a out")  # another conversation did not
