"""HubSpot orders: the order pipeline a portal got at setup, and each card row's HubSpot order

Revision ID: 0006_orders
Revises: 0004_i
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_orders'
down_revision = '0004_i'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sync_portal_setups') as batch:
        batch.add_column(sa.Column('order_pipeline_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('order_stage_ids', sa.JSON(), nullable=True))
    with op.batch_alter_table('card_orders') as batch:
        batch.add_column(sa.Column('hubspot_order_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('card_orders') as batch:
        batch.drop_column('hubspot_order_id')
    with op.batch_alter_table('sync_portal_setups') as batch:
        batch.drop_column('order_stage_ids')
        batch.drop_column('order_pipeline_id')
