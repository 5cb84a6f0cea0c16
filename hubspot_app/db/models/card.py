from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime, recorded_at


class CardOrder(Base):
    """Read model behind the contact card: one row per Moulin order, as the card shows it.

    Written by the sync in the same unit of work as the deal it describes; the
    card reads only this table, never Moulin or HubSpot.
    """

    __tablename__ = "card_orders"
    __table_args__ = (
        UniqueConstraint("portal_id", "store_code", "order_id"),
        Index("ix_card_orders_contact", "portal_id", "contact_email", "ordered_at"),
        Index("ix_card_orders_hs_contact", "portal_id", "hubspot_contact_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    store_code: Mapped[str] = mapped_column(String(64), nullable=False)
    order_id: Mapped[str] = mapped_column(String(128), nullable=False)
    order_number: Mapped[str] = mapped_column(String(128), nullable=False)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    hubspot_contact_id: Mapped[str | None] = mapped_column(String(64))
    hubspot_deal_id: Mapped[str | None] = mapped_column(String(64))
    hubspot_order_id: Mapped[str | None] = mapped_column(String(64))  # HubSpot's Order, when the store sends them
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    # The stage key our sync gave the deal (a partial refund keeps the furthest one reached).
    stage: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    refunded: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0, nullable=False)
    item_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    pickup_point: Mapped[str | None] = mapped_column(String(255))
    order_url: Mapped[str | None] = mapped_column(String(1024))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, onupdate=recorded_at, nullable=False)
