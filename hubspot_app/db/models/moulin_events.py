from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime, recorded_at


class MoulinEvent(Base):
    """Inbox of change events pushed by a Moulin store, stored before any work is done.

    (store_id, event_id) is unique: Moulin re-sends an event it is unsure was
    received, and the replay must not be processed twice.
    """

    __tablename__ = "moulin_events"
    __table_args__ = (UniqueConstraint("store_id", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[int] = mapped_column(Integer, ForeignKey("moulin_stores.id", ondelete="CASCADE"),
                                          nullable=False)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    event_id: Mapped[str] = mapped_column(String(128), nullable=False)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    record_id: Mapped[str] = mapped_column(String(128), nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    # Taken by the job syncing it in a gathered batch until then: another job skips it; once past (the worker
    # died), the event is pending again and the inbox sweep sends it anew.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
