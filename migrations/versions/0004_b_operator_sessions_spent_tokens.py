"""operator sessions and spent single-use tokens

Revision ID: 0004_b
Revises: 0003
Create Date: 2026-11-30 04:30:00
"""
from alembic import op
import sqlalchemy as sa
import hubspot_app.db.base


revision = '0004_b'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('operator_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('portal_id', sa.BigInteger(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('created_at', hubspot_app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', hubspot_app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_operator_sessions'))
    )
    with op.batch_alter_table('operator_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_operator_sessions_portal_id'), ['portal_id'], unique=False)

    op.create_table('spent_tokens',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', hubspot_app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'token_hash', name=op.f('pk_spent_tokens'))
    )
    with op.batch_alter_table('spent_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spent_tokens_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('spent_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spent_tokens_expires_at'))
    op.drop_table('spent_tokens')
    with op.batch_alter_table('operator_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_sessions_portal_id'))
        batch_op.drop_index(batch_op.f('ix_operator_sessions_expires_at'))
    op.drop_table('operator_sessions')
