from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime, recorded_at


class MoulinStore(Base):
    """A Moulin back office (e.g. the B2C shop or the B2B shop) connected to one portal.

    `code` is the store's short name; orders are keyed by (store code, order id)
    everywhere, because two stores may reuse an order number.
    """

    __tablename__ = "moulin_stores"
    __table_args__ = (UniqueConstraint("portal_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("installations.portal_id", ondelete="CASCADE"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    api_url: Mapped[str] = mapped_column(String(1024), nullable=False)
    api_key_enc: Mapped[str] = mapped_column(Text, nullable=False)
    push_secret_enc: Mapped[str] = mapped_column(Text, nullable=False)
    # Link to an order in the Moulin back office, e.g. "https://bo.example/orders/{order_id}".
    order_url_template: Mapped[str | None] = mapped_column(String(1024))
    # Moulin order status -> pipeline stage key; empty means the defaults.
    stage_mapping: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    # Operator settings: {"recreate_deleted_deals": bool, "stage_source": "moulin"|"hubspot"}.
    settings: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, nullable=False)
