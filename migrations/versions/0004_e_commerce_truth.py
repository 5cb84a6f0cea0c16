"""open checkouts (on-time abandonment), the stage each card row had, the portal's company identity

Revision ID: 0004_e
Revises: 0004_b
"""
from alembic import op
import sqlalchemy as sa
import hubspot_app.db.base


revision = '0004_e'
down_revision = '0004_b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sync_open_checkouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.BigInteger(), nullable=False),
    sa.Column('store_code', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=128), nullable=False),
    sa.Column('due_at', hubspot_app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_open_checkouts')),
    sa.UniqueConstraint('portal_id', 'store_code', 'order_id', name=op.f('uq_sync_open_checkouts_portal_id'))
    )
    op.create_index('ix_sync_open_checkouts_due', 'sync_open_checkouts', ['due_at'], unique=False)
    op.add_column('card_orders', sa.Column('stage', sa.String(length=32), nullable=True))
    # Portals set up before this revision keep one company per store account: "siret" would make new companies.
    op.add_column('sync_portal_setups', sa.Column('company_identity', sa.String(length=16),
                                                  server_default='account', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('sync_portal_setups') as batch:
        batch.drop_column('company_identity')
    with op.batch_alter_table('card_orders') as batch:
        batch.drop_column('stage')
    op.drop_index('ix_sync_open_checkouts_due', table_name='sync_open_checkouts')
    op.drop_table('sync_open_checkouts')
