"""bulk jobs: the lease and chain token of each sliced backfill, poll and reconcile

Revision ID: 0004_d
Revises: 0004_e1
"""
from alembic import op
import sqlalchemy as sa
import hubspot_app.db.base


revision = '0004_d'
down_revision = '0004_e1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bulk_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.BigInteger(), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('lease_until', hubspot_app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('updated_at', hubspot_app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_jobs')),
    sa.UniqueConstraint('portal_id', 'task', 'key', name=op.f('uq_bulk_jobs_portal_id'))
    )
    op.create_index('ix_bulk_jobs_state', 'bulk_jobs', ['state', 'lease_until'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_bulk_jobs_state', table_name='bulk_jobs')
    op.drop_table('bulk_jobs')
