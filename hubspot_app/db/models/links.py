from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime, recorded_at


class ObjectLink(Base):
    """Moulin record <-> HubSpot object, per portal: the mapping that keeps sync duplicate-free.

    kind: "contact" (source_key = normalised email), "company" (store:account id),
    "product" (SKU), "deal" (store:order id), "line_item" (store:order id:line id);
    "cart" (store:order id, the checkout's HubSpot cart), "cart_line" (cart/store:order id:line id).
    `content_hash` is the hash of the last properties written, to skip unchanged records.
    `state`: "synced", "deleted_in_hubspot", "archived", "privacy_deleted", "vanished" (the reconcile found it
    missing, no webhook told us: re-created in the same pass; `domain/webhook_rules.py`).
    """

    __tablename__ = "object_links"
    __table_args__ = (
        UniqueConstraint("portal_id", "kind", "source_key"),
        Index("ix_object_links_hubspot", "portal_id", "kind", "hubspot_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    source_key: Mapped[str] = mapped_column(String(512), nullable=False)
    hubspot_id: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32), default="synced", nullable=False)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, onupdate=recorded_at, nullable=False)
