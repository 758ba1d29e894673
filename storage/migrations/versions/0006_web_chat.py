"""The web chat: access tokens (stored hashed) and the transcript of conversations whose platform keeps none.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_tokens_token_hash'))
    )
    op.create_table('transcript_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('conversation_id', sa.String(length=500), nullable=False),
    sa.Column('author', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('card', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript_messages')),
    sa.UniqueConstraint('uid', name=op.f('uq_transcript_messages_uid'))
    )
    op.create_index('ix_transcript_messages_conversation', 'transcript_messages',
                    ['platform', 'conversation_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_transcript_messages_conversation', table_name='transcript_messages')
    op.drop_table('transcript_messages')
    op.drop_table('web_tokens')
