from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime, recorded_at


class PortalSetup(Base):
    """What `setup_portal` made in one portal: its version and the ids HubSpot generated."""

    __tablename__ = "sync_portal_setups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    pipeline_id: Mapped[str] = mapped_column(String(64), nullable=False)
    # stage key ("shipped") -> HubSpot stage id
    stage_ids: Mapped[dict] = mapped_column(JSON, nullable=False)
    # What makes two Moulin B2B accounts one HubSpot company (`sync.companies.IDENTITIES`). Portals set up
    # before this setting existed keep "account" (one company per store account: their companies stay theirs).
    company_identity: Mapped[str] = mapped_column(String(16), default="siret", server_default="account",
                                                  nullable=False)
    # The order pipeline (HubSpot's native Order object), made only once the portal grants the order scopes:
    # NULL until then. stage key -> HubSpot stage id, the same keys as `stage_ids`.
    order_pipeline_id: Mapped[str | None] = mapped_column(String(64))
    order_stage_ids: Mapped[dict | None] = mapped_column(JSON)
    # The cart properties are made (the portal granted the optional cart scopes): carts have no pipeline to show it.
    carts_ready: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, onupdate=recorded_at, nullable=False)


class SyncError(Base):
    """Dead-letter row: one record that failed to sync, with HubSpot's or Moulin's reason. Shown to operators."""

    __tablename__ = "sync_errors"
    __table_args__ = (
        UniqueConstraint("portal_id", "kind", "source_key"),
        Index("ix_sync_errors_open", "portal_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    source_key: Mapped[str] = mapped_column(String(512), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SyncCheckpoint(Base):
    """How far a backfill (or the `updated_since` poll) of one store has gone; survives crashes."""

    __tablename__ = "sync_checkpoints"
    __table_args__ = (UniqueConstraint("portal_id", "store_code", "mode"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    store_code: Mapped[str] = mapped_column(String(64), nullable=False)
    mode: Mapped[str] = mapped_column(String(20), nullable=False)  # "backfill" | "poll"
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # orders consumed, in source order
    high_water: Mapped[datetime | None] = mapped_column(UTCDateTime())  # newest updated_at seen
    done: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, onupdate=recorded_at, nullable=False)


class SyncedOrder(Base):
    """Per-order facts the contact aggregates are recomputed from (the card's `card_orders` holds the rest)."""

    __tablename__ = "sync_orders"
    __table_args__ = (
        UniqueConstraint("portal_id", "order_key"),
        Index("ix_sync_orders_email", "portal_id", "contact_email"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    order_key: Mapped[str] = mapped_column(String(256), nullable=False)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    net_total: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    counts: Mapped[bool] = mapped_column(Boolean, nullable=False)
    pickup_point: Mapped[str | None] = mapped_column(String(255))
    skus: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    categories: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    brands: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    currency: Mapped[str | None] = mapped_column(String(3))


class SyncedCustomer(Base):
    """A Moulin customer as last seen, and the contact it belongs to (`contact_key`, an `object_links` contact key).

    Once linked, the customer id is the contact's identity: an email changed in
    Moulin moves the contact's email instead of creating a second contact, and
    the orders of a customer deleted in Moulin keep the contact recorded here.
    """

    __tablename__ = "sync_customers"
    __table_args__ = (
        UniqueConstraint("portal_id", "store_code", "customer_id"),
        Index("ix_sync_customers_contact", "portal_id", "contact_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    store_code: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[str] = mapped_column(String(128), nullable=False)
    contact_key: Mapped[str] = mapped_column(String(320), nullable=False)
    email: Mapped[str | None] = mapped_column(String(320))  # Moulin's (normalised) email at the last sync
    record: Mapped[dict] = mapped_column(JSON, nullable=False)  # the customer as last read, for when it is gone
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, onupdate=recorded_at, nullable=False)


class OpenCheckout(Base):
    """An open cart or checkout and when it turns abandoned: the scheduled check reads only the due rows."""

    __tablename__ = "sync_open_checkouts"
    __table_args__ = (
        UniqueConstraint("portal_id", "store_code", "order_id"),
        Index("ix_sync_open_checkouts_due", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    store_code: Mapped[str] = mapped_column(String(64), nullable=False)
    order_id: Mapped[str] = mapped_column(String(128), nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
