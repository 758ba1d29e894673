"""Initial schema: every table, and the default "Service Desk" board with its workflow.

Revision ID: 0001
Revises: 
Create Date: 2026-11-24
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_table('boards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('default_priority', sa.String(length=20), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boards')),
    sa.UniqueConstraint('name', name=op.f('uq_boards_name'))
    )
    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('conversation_id', sa.String(length=500), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('installed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('platform', 'conversation_id', name=op.f('uq_conversations_platform_conversation_id'))
    )
    op.create_table('counters',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counters'))
    )
    op.create_table('dialog_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('conversation_id', sa.String(length=500), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('dialog', sa.String(length=30), nullable=False),
    sa.Column('step', sa.String(length=30), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('invalid_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialog_states')),
    sa.UniqueConstraint('platform', 'conversation_id', 'user_id', name=op.f('uq_dialog_states_platform_conversation_id_user_id'))
    )
    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('preferred_platform', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('email', name=op.f('uq_members_email'))
    )
    op.create_table('seen_events',
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_seen_events'))
    )
    with op.batch_alter_table('seen_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seen_events_seen_at'), ['seen_at'], unique=False)

    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_categories_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['categories.id'], name=op.f('fk_categories_parent_id_categories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('board_id', 'parent_id', 'name', name=op.f('uq_categories_board_id_parent_id_name'))
    )
    op.create_table('identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_identities_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identities')),
    sa.UniqueConstraint('member_id', 'platform', name=op.f('uq_identities_member_id_platform')),
    sa.UniqueConstraint('platform', 'user_id', name=op.f('uq_identities_platform_user_id'))
    )
    op.create_table('recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_recipients_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_recipients_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recipients')),
    sa.UniqueConstraint('conversation_id', name=op.f('uq_recipients_conversation_id')),
    sa.UniqueConstraint('member_id', name=op.f('uq_recipients_member_id'))
    )
    op.create_table('statuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_closed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_statuses_board_id_boards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statuses')),
    sa.UniqueConstraint('board_id', 'name', name=op.f('uq_statuses_board_id_name'))
    )
    op.create_table('forwards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_recipient_id', sa.Integer(), nullable=False),
    sa.Column('to_recipient_id', sa.Integer(), nullable=False),
    sa.Column('keep_copy', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['from_recipient_id'], ['recipients.id'], name=op.f('fk_forwards_from_recipient_id_recipients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_recipient_id'], ['recipients.id'], name=op.f('fk_forwards_to_recipient_id_recipients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forwards'))
    )
    op.create_table('rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('priorities', sa.JSON(), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_rules_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipients.id'], name=op.f('fk_rules_recipient_id_recipients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rules')),
    sa.UniqueConstraint('board_id', 'recipient_id', name=op.f('uq_rules_board_id_recipient_id'))
    )
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('status_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('priority', sa.String(length=20), nullable=False),
    sa.Column('requester_member_id', sa.Integer(), nullable=True),
    sa.Column('requester_identity_id', sa.Integer(), nullable=True),
    sa.Column('requester_name', sa.String(length=200), nullable=False),
    sa.Column('origin_platform', sa.String(length=20), nullable=True),
    sa.Column('origin_conversation', sa.String(length=500), nullable=True),
    sa.Column('origin_message', sa.String(length=255), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_tickets_board_id_boards')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_tickets_category_id_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_identity_id'], ['identities.id'], name=op.f('fk_tickets_requester_identity_id_identities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_member_id'], ['members.id'], name=op.f('fk_tickets_requester_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_tickets_status_id_statuses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_created_at'), ['created_at'], unique=False)

    op.create_table('notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('author_member_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_member_id'], ['members.id'], name=op.f('fk_notes_author_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_notes_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notes')),
    sa.UniqueConstraint('uid', name=op.f('uq_notes_uid'))
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notes_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_assignees',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_ticket_assignees_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_assignees_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'member_id', name=op.f('pk_ticket_assignees'))
    )
    op.create_table('timeline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_timeline_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline'))
    )
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeline_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('actor_member_id', sa.Integer(), nullable=True),
    sa.Column('actor_identity_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_identity_id'], ['identities.id'], name=op.f('fk_ticket_events_actor_identity_id_identities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['actor_member_id'], ['members.id'], name=op.f('fk_ticket_events_actor_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_ticket_events_note_id_notes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_events_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('target', sa.JSON(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('dedup_key', sa.String(length=300), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['ticket_events.id'], name=op.f('fk_deliveries_event_id_ticket_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipients.id'], name=op.f('fk_deliveries_recipient_id_recipients'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_deliveries_dedup_key'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_state'), ['state'], unique=False)

    _seed()


def _seed() -> None:
    boards = sa.table(
        "boards",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("default_priority", sa.String),
        sa.column("keywords", sa.JSON),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    statuses = sa.table(
        "statuses",
        sa.column("board_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("position", sa.Integer),
        sa.column("is_closed", sa.Boolean),
    )
    counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.Integer))
    bind = op.get_bind()
    bind.execute(
        boards.insert().values(name="Service Desk", default_priority="medium", keywords=[], created_at=datetime.now(UTC))
    )
    board_id = bind.execute(sa.select(boards.c.id).where(boards.c.name == "Service Desk")).scalar_one()
    op.bulk_insert(
        statuses,
        [
            {"board_id": board_id, "name": name, "position": position, "is_closed": closed}
            for position, (name, closed) in enumerate(
                [("New", False), ("In Progress", False), ("Waiting", False), ("Resolved", True), ("Closed", True)]
            )
        ],
    )
    op.bulk_insert(counters, [{"name": "ticket_number", "value": 0}])


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_state'))

    op.drop_table('deliveries')
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_events_ticket_id'))

    op.drop_table('ticket_events')
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeline_ticket_id'))

    op.drop_table('timeline')
    op.drop_table('ticket_assignees')
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notes_ticket_id'))

    op.drop_table('notes')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_created_at'))

    op.drop_table('tickets')
    op.drop_table('rules')
    op.drop_table('forwards')
    op.drop_table('statuses')
    op.drop_table('recipients')
    op.drop_table('identities')
    op.drop_table('categories')
    with op.batch_alter_table('seen_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_events_seen_at'))

    op.drop_table('seen_events')
    op.drop_table('members')
    op.drop_table('dialog_states')
    op.drop_table('counters')
    op.drop_table('conversations')
    op.drop_table('boards')
    op.drop_table('audit_log')
    op.drop_table('api_keys')
