"""Notifications: external ids for PSA tickets and notes, outbox lanes and leases, ticket threads.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_tickets_external_id'), ['external_id'])
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_notes_ticket_id_external_id'), ['ticket_id', 'external_id'])
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lane', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_deliveries_ticket_id_tickets'), 'tickets', ['ticket_id'], ['id'], ondelete='SET NULL'
        )
        batch_op.create_index(batch_op.f('ix_deliveries_lane'), ['lane'], unique=False)
    op.create_table('ticket_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('conversation_id', sa.String(length=500), nullable=False),
    sa.Column('thread_id', sa.String(length=255), nullable=True),
    sa.Column('message', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_threads_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_threads')),
    sa.UniqueConstraint('ticket_id', 'platform', 'conversation_id', name=op.f('uq_ticket_threads_ticket_id_platform_conversation_id'))
    )
    with op.batch_alter_table('ticket_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_threads_thread_id'), ['thread_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_threads_thread_id'))
    op.drop_table('ticket_threads')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_lane'))
        batch_op.drop_constraint(batch_op.f('fk_deliveries_ticket_id_tickets'), type_='foreignkey')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('lane')
        batch_op.drop_column('ticket_id')
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_notes_ticket_id_external_id'), type_='unique')
        batch_op.drop_column('external_id')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_tickets_external_id'), type_='unique')
        batch_op.drop_column('external_id')
