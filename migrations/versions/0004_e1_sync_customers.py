"""sync_customers (the Moulin customer as a contact's identity) and each order's currency in sync_orders

Revision ID: 0004_e1
Revises: 0004_e
"""
from alembic import op
import sqlalchemy as sa
import hubspot_app.db.base


revision = '0004_e1'
down_revision = '0004_e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sync_customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.BigInteger(), nullable=False),
    sa.Column('store_code', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=False),
    sa.Column('contact_key', sa.String(length=320), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('updated_at', hubspot_app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_customers')),
    sa.UniqueConstraint('portal_id', 'store_code', 'customer_id', name=op.f('uq_sync_customers_portal_id'))
    )
    op.create_index('ix_sync_customers_contact', 'sync_customers', ['portal_id', 'contact_key'], unique=False)
    with op.batch_alter_table('sync_orders') as batch:
        batch.add_column(sa.Column('currency', sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sync_orders') as batch:
        batch.drop_column('currency')
    op.drop_index('ix_sync_customers_contact', table_name='sync_customers')
    op.drop_table('sync_customers')
