"""Schema migrations through Alembic, callable from async code (`ticketbot db upgrade`, `serve` on start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from storage.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations, optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


async def upgrade(db: Database) -> None:
    """Bring the database schema to the newest revision (idempotent)."""
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade)


def _revisions(connection: Connection) -> tuple[set[str], set[str]]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = set(MigrationContext.configure(connection).get_current_heads())
    head = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    return current, head


async def revisions(db: Database) -> tuple[set[str], set[str]]:
    """The schema's current revisions and the newest ones the code has (equal when it is up to date)."""
    async with db.engine.connect() as conn:
        return await conn.run_sync(_revisions)
