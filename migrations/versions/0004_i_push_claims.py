"""moulin_events.claimed_until: pushes gathered into one batch are claimed by the job syncing them

Revision ID: 0004_i
Revises: 0005_j
"""
from alembic import op
import sqlalchemy as sa
import hubspot_app.db.base


revision = '0004_i'
down_revision = '0005_j'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('moulin_events', sa.Column('claimed_until', hubspot_app.db.base.UTCDateTime(timezone=True),
                                             nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('moulin_events') as batch:
        batch.drop_column('claimed_until')
