"""Throwaway databases for tests: a migrated template per backend, copied for every test.

SQLite: a migrated file copied per test. PostgreSQL (`TICKETBOT_TEST_POSTGRES_URL`): a template database
migrated once per run, then `CREATE DATABASE ... TEMPLATE` per test; everything is dropped at the end, so the
long-lived server keeps nothing of a run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from storage.db import Database
from storage.migrate import upgrade

POSTGRES_ENV = "TICKETBOT_TEST_POSTGRES_URL"
DROP_LANES = 8


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.close()


class SqliteFactory:
    """Fresh migrated SQLite files, copied from one template."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.db"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{self.template}"))

    def new(self) -> str:
        """The URL of a new database file with the schema and seed data."""
        path = self.root / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite+aiosqlite:///{path}"

    def close(self) -> None:
        """Nothing to drop: the files live in a pytest temporary folder."""


class PostgresFactory:
    """Fresh migrated PostgreSQL databases, created from a per-run template."""

    def __init__(self, url: str) -> None:
        self.base = make_url(url)
        self.run_id = uuid.uuid4().hex[:10]
        self.template = f"tbtest_{self.run_id}_tpl"
        self.created: list[str] = [self.template]
        asyncio.run(self._admin(f'CREATE DATABASE "{self.template}"'))
        asyncio.run(_migrate(self._url(self.template)))

    def _url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    async def _admin(self, *statements: str) -> None:
        dsn = self.base.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def new(self) -> str:
        """The URL of a new database with the schema and seed data."""
        name = f"tbtest_{self.run_id}_{len(self.created)}"
        asyncio.run(self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self._url(name)

    def close(self) -> None:
        """Drop every database this run made, `DROP_LANES` at a time (one after another, a run's few hundred
        took 11-20 s of the suite's last teardown)."""
        drops = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in reversed(self.created)]

        async def drop_all() -> None:
            await asyncio.gather(*(self._admin(*drops[lane::DROP_LANES]) for lane in range(DROP_LANES)))

        asyncio.run(drop_all())


def postgres_url() -> str | None:
    """The PostgreSQL server for tests, or None when the environment does not name one."""
    return os.environ.get(POSTGRES_ENV) or None
