"""A version of the boards' configuration, bumped by the database on every change to boards, statuses or
categories, so that a process may keep the boards it read for as long as the version it reads with each turn
is the same (`storage.db.kept`).

Triggers rather than the application: every writer bumps it, whatever code path (or process, or version of
ticketbot) made the change. SQLite's triggers are per row (a deleted board with five statuses bumps it six
times; only a change matters); PostgreSQL's are per statement.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = ('boards', 'statuses', 'categories')
COUNTER = 'boards_version'
BUMP = f"UPDATE counters SET value = value + 1 WHERE name = '{COUNTER}'"


def upgrade() -> None:
    op.execute(f"INSERT INTO counters (name, value) VALUES ('{COUNTER}', 0)")
    if op.get_bind().dialect.name == 'sqlite':
        for table in TABLES:
            for change in ('INSERT', 'UPDATE', 'DELETE'):
                op.execute(f"CREATE TRIGGER {table}_version_{change.lower()} AFTER {change} ON {table} "
                           f"BEGIN {BUMP}; END")
    else:
        op.execute(f"CREATE FUNCTION bump_boards_version() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP}; RETURN NULL; END $$")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION bump_boards_version()")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table in TABLES:
            for change in ('insert', 'update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_version_{change}")
    else:
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_boards_version()")
    op.execute(f"DELETE FROM counters WHERE name = '{COUNTER}'")
