"""Versions of the configuration that processes keep across turns, bumped by the database itself: one counter
for boards, statuses and categories, one for notification rules, recipients and forwards. A process may keep
what it read of them for as long as the version it reads with each turn is the same (`storage.db.kept`).

Triggers rather than the application: every writer bumps them, whatever code path (or process, or version of
ticketbot) made the change. SQLite's triggers are per row (a deleted board with five statuses bumps its counter
six times; only a change matters); PostgreSQL's are per statement.

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

VERSIONED = {
    'boards_version': ('boards', 'statuses', 'categories'),
    'audience_version': ('rules', 'recipients', 'forwards'),
}
CHANGES = ('insert', 'update', 'delete')


def _bump(counter: str) -> str:
    return f"UPDATE counters SET value = value + 1 WHERE name = '{counter}'"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for counter, tables in VERSIONED.items():
        op.execute(f"INSERT INTO counters (name, value) VALUES ('{counter}', 0)")
        if not sqlite:
            op.execute(f"CREATE FUNCTION bump_{counter}() RETURNS trigger LANGUAGE plpgsql AS "
                       f"$$ BEGIN {_bump(counter)}; RETURN NULL; END $$")
        for table in tables:
            if sqlite:
                for change in CHANGES:
                    op.execute(f"CREATE TRIGGER {table}_version_{change} AFTER {change.upper()} ON {table} "
                               f"BEGIN {_bump(counter)}; END")
            else:
                op.execute(f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                           f"FOR EACH STATEMENT EXECUTE FUNCTION bump_{counter}()")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for counter, tables in VERSIONED.items():
        for table in tables:
            if sqlite:
                for change in CHANGES:
                    op.execute(f"DROP TRIGGER IF EXISTS {table}_version_{change}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
        if not sqlite:
            op.execute(f"DROP FUNCTION IF EXISTS bump_{counter}()")
        op.execute(f"DELETE FROM counters WHERE name = '{counter}'")
