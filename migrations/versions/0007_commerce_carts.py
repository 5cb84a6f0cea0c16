"""HubSpot carts: whether a portal's cart properties are made (it granted the optional cart scopes)

Revision ID: 0007_carts
Revises: 0006_orders
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_carts'
down_revision = '0006_orders'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sync_portal_setups') as batch:
        batch.add_column(sa.Column('carts_ready', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('sync_portal_setups') as batch:
        batch.drop_column('carts_ready')
