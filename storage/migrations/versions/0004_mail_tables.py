"""Mail: the cursors table (the inbox's Graph delta link) and the mail sender exclusions and assignment rules.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cursors',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cursors'))
    )
    op.create_table('mail_exclusions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pattern', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_exclusions')),
    sa.UniqueConstraint('pattern', name=op.f('uq_mail_exclusions_pattern'))
    )
    op.create_table('mail_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pattern', sa.String(length=320), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=True),
    sa.Column('assignee_member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_mail_rules_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assignee_member_id'], ['members.id'], name=op.f('fk_mail_rules_assignee_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_rules')),
    sa.UniqueConstraint('pattern', name=op.f('uq_mail_rules_pattern'))
    )


def downgrade() -> None:
    op.drop_table('mail_rules')
    op.drop_table('mail_exclusions')
    op.drop_table('cursors')
