"""HubSpot usage counted by every process

Revision ID: 0005_j
Revises: 0005_l
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_j'
down_revision = '0005_l'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hubspot_usage',
    sa.Column('portal_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('calls', sa.BigInteger(), nullable=False),
    sa.Column('rate_limited', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('portal_id', name=op.f('pk_hubspot_usage'))
    )


def downgrade() -> None:
    op.drop_table('hubspot_usage')
