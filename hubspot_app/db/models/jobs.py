from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime, recorded_at


class BulkJob(Base):
    """One bulk job (a store's backfill, a portal's poll or reconcile) between its slices, and its lease.

    Huey forgets a message once a worker takes it, so this row is what survives a
    killed worker: `token` names the one chain of slices allowed to run (a stale
    or duplicate message carries another token and stops at once); `state` is
    "queued", "running" (then `lease_until` says until when the holder is
    presumed alive) or "failed". The row is deleted when the job is done.
    """

    __tablename__ = "bulk_jobs"
    __table_args__ = (
        UniqueConstraint("portal_id", "task", "key"),
        Index("ix_bulk_jobs_state", "state", "lease_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    task: Mapped[str] = mapped_column(String(64), nullable=False)
    key: Mapped[str] = mapped_column(String(64), nullable=False)  # the store code, "" for portal-wide jobs
    token: Mapped[str] = mapped_column(String(32), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, nullable=False)
