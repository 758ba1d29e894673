"""Slack OAuth installations: the tables of slack_sdk's SQLAlchemy installation store.

`slack_bots` and `slack_installations`, column for column as slack_sdk 3.x's
`SQLAlchemyInstallationStore.build_bots_table` / `build_installations_table` define them (the store reads and
writes them; the Slack adapter opens it over `DATABASE_URL`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _workspace_columns() -> list[sa.Column]:
    return [
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('client_id', sa.String(32), nullable=False),
        sa.Column('app_id', sa.String(32), nullable=False),
        sa.Column('enterprise_id', sa.String(32)),
        sa.Column('enterprise_name', sa.String(200)),
    ]


def _bot_columns() -> list[sa.Column]:
    return [
        sa.Column('bot_token', sa.String(200)),
        sa.Column('bot_id', sa.String(32)),
        sa.Column('bot_user_id', sa.String(32)),
        sa.Column('bot_scopes', sa.String(1000)),
        sa.Column('bot_refresh_token', sa.String(200)),
        sa.Column('bot_token_expires_at', sa.DateTime()),
    ]


def upgrade() -> None:
    op.create_table(
        'slack_bots',
        *_workspace_columns(),
        sa.Column('team_id', sa.String(32)),
        sa.Column('team_name', sa.String(200)),
        *_bot_columns(),
        sa.Column('is_enterprise_install', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('installed_at', sa.DateTime(), nullable=False, server_default=sa.func.now()),
    )
    op.create_index('slack_bots_idx', 'slack_bots', ['client_id', 'enterprise_id', 'team_id', 'installed_at'])
    op.create_table(
        'slack_installations',
        *_workspace_columns(),
        sa.Column('enterprise_url', sa.String(200)),
        sa.Column('team_id', sa.String(32)),
        sa.Column('team_name', sa.String(200)),
        *_bot_columns(),
        sa.Column('user_id', sa.String(32), nullable=False),
        sa.Column('user_token', sa.String(200)),
        sa.Column('user_scopes', sa.String(1000)),
        sa.Column('user_refresh_token', sa.String(200)),
        sa.Column('user_token_expires_at', sa.DateTime()),
        sa.Column('incoming_webhook_url', sa.String(200)),
        sa.Column('incoming_webhook_channel', sa.String(200)),
        sa.Column('incoming_webhook_channel_id', sa.String(200)),
        sa.Column('incoming_webhook_configuration_url', sa.String(200)),
        sa.Column('is_enterprise_install', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('token_type', sa.String(32)),
        sa.Column('installed_at', sa.DateTime(), nullable=False, server_default=sa.func.now()),
    )
    op.create_index(
        'slack_installations_idx', 'slack_installations',
        ['client_id', 'enterprise_id', 'team_id', 'user_id', 'installed_at'],
    )


def downgrade() -> None:
    op.drop_index('slack_installations_idx', table_name='slack_installations')
    op.drop_table('slack_installations')
    op.drop_index('slack_bots_idx', table_name='slack_bots')
    op.drop_table('slack_bots')
