"""Throwaway databases for a bench run: SQLite files in the work folder, PostgreSQL databases dropped at the end."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy.engine import make_url

from storage.db import Database
from storage.migrate import upgrade


async def migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.close()


class PostgresDatabases:
    """Creates migrated databases on the server `url` names, and drops every one on `drop_all`."""

    def __init__(self, url: str) -> None:
        self.base = make_url(url)
        self.created: list[str] = []

    async def _admin(self, statement: str) -> None:
        conn = await asyncpg.connect(self.base.set(drivername="postgresql").render_as_string(hide_password=False))
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    async def new(self) -> str:
        name = f"tbbench_{uuid.uuid4().hex[:10]}"
        await self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        url = self.base.set(database=name).render_as_string(hide_password=False)
        await migrate(url)
        return url

    async def drop_all(self) -> None:
        for name in self.created:
            await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()
