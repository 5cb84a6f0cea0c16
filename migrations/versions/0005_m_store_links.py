"""store links: the HubSpot records each Moulin order and customer should know, and what the store was sent

Revision ID: 0005_m
Revises: 0004_d
"""
from alembic import op
import sqlalchemy as sa
import hubspot_app.db.base


revision = '0005_m'
down_revision = '0004_d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('store_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.BigInteger(), nullable=False),
    sa.Column('store_code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.String(length=128), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('sent', sa.JSON(), nullable=True),
    sa.Column('pending', sa.Boolean(), nullable=False),
    sa.Column('updated_at', hubspot_app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_links')),
    sa.UniqueConstraint('portal_id', 'store_code', 'kind', 'record_id', name=op.f('uq_store_links_portal_id'))
    )
    op.create_index('ix_store_links_pending', 'store_links', ['portal_id', 'store_code', 'pending'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_store_links_pending', table_name='store_links')
    op.drop_table('store_links')
