from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime


class CardRefresh(Base):
    """The last Refresh started from the contact card, one row per (portal, contact).

    A compare-and-swap on `started_at` is the rate limit: it holds across
    gunicorn workers and hosts, which an in-process limiter would not.
    """

    __tablename__ = "card_refreshes"
    __table_args__ = (UniqueConstraint("portal_id", "hubspot_contact_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    hubspot_contact_id: Mapped[str] = mapped_column(String(64), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
