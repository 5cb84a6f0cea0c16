from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime, recorded_at


class StoreLink(Base):
    """The HubSpot records of one Moulin order or customer, as the store should know them, and what it was sent.

    kind: "order" (deal, order) or "customer" (contact, company); record_id: the Moulin id.
    `links` is what the last sync found; `sent` what the store last acknowledged; `pending`
    says they differ, so each change is sent once and an unchanged link never again.
    """

    __tablename__ = "store_links"
    __table_args__ = (
        UniqueConstraint("portal_id", "store_code", "kind", "record_id"),
        Index("ix_store_links_pending", "portal_id", "store_code", "pending"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    store_code: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    record_id: Mapped[str] = mapped_column(String(128), nullable=False)
    links: Mapped[dict] = mapped_column(JSON, nullable=False)
    sent: Mapped[dict | None] = mapped_column(JSON)
    pending: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, onupdate=recorded_at, nullable=False)
