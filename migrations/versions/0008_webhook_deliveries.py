"""Webhook deliveries as received (the receiver's one write; the worker parses, stores and processes them)

Revision ID: 0008_webhook_deliveries
Revises: 0007_carts
"""
from alembic import op
import sqlalchemy as sa

from hubspot_app.db.base import UTCDateTime


revision = '0008_webhook_deliveries'
down_revision = '0007_carts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('received_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    )
    op.create_index('ix_webhook_deliveries_received', 'webhook_deliveries', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_received', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
