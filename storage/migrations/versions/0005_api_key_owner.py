"""API keys get an owner and an admin flag; audit entries say where a write came from.

A key without a member is a service key (what `ticketbot keys create NAME` made before): it keeps acting as an
admin, as those keys were announced. Keys with a member act as that member, with the admin flag on top.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('member_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('is_admin', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.create_foreign_key(
            op.f('fk_api_keys_member_id_members'), 'members', ['member_id'], ['id'], ondelete='CASCADE'
        )
    with op.batch_alter_table('audit_log') as batch:
        batch.add_column(sa.Column('source', sa.String(length=200), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('audit_log') as batch:
        batch.drop_column('source')
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_constraint(op.f('fk_api_keys_member_id_members'), type_='foreignkey')
        batch.drop_column('is_admin')
        batch.drop_column('member_id')
