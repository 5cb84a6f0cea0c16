from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime, recorded_at


class ReceivedDelivery(Base):
    """A signed delivery exactly as HubSpot posted it, kept until the worker has stored and processed its events.

    The receiver's whole write is this one row: parsing, deduplication and processing happen in the worker, which
    deletes the row only once its events are processed, so a lost job or a killed worker leaves it for the sweep.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_received", "received_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class WebhookEvent(Base):
    """One HubSpot webhook event as received, kept until processed.

    `dedupe_key` is a hash of the fields that identify an event (HubSpot's
    `eventId` alone is not unique), so a retried or duplicated delivery inserts
    nothing. `status`: "pending", "processed", "skipped" or "failed".
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_delivery", "delivery_id", "status"),
        Index("ix_webhook_events_object", "portal_id", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    delivery_id: Mapped[str] = mapped_column(String(32), nullable=False)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    subscription_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    object_id: Mapped[str] = mapped_column(String(64), nullable=False)
    occurred_at_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    outcome: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HubSpotObjectState(Base):
    """What HubSpot told us about one object's life, with the time each fact happened.

    Facts are last-writer-wins by HubSpot's `occurredAt`, so events applied in
    any order (retries, duplicates, reordering) leave the same state; links are
    then derived from these facts. `lifecycle`: "live", "deleted",
    "privacy_deleted" or "merged" (then `merged_into` names the survivor).
    """

    __tablename__ = "hubspot_object_states"
    __table_args__ = (UniqueConstraint("portal_id", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    object_id: Mapped[str] = mapped_column(String(64), nullable=False)
    lifecycle: Mapped[str] = mapped_column(String(20), default="live", nullable=False)
    lifecycle_at_ms: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    merged_into: Mapped[str | None] = mapped_column(String(64))
    # Watermark of the last `email` change applied (contacts); the value itself is not kept.
    email_at_ms: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)


class SyncConflict(Base):
    """Something HubSpot users did that the app cannot settle alone; shown to the operator."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (
        UniqueConstraint("portal_id", "kind", "hubspot_id", "reason", "occurred_at_ms"),
        Index("ix_sync_conflicts_open", "portal_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    hubspot_id: Mapped[str] = mapped_column(String(64), nullable=False)
    reason: Mapped[str] = mapped_column(String(64), nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False)
    occurred_at_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DealStageChange(Base):
    """A person moved a deal in HubSpot. Moulin stays the source of truth unless
    the store's `stage_source` is "hubspot" (`adopted` records which applied)."""

    __tablename__ = "deal_stage_changes"
    __table_args__ = (
        UniqueConstraint("portal_id", "hubspot_deal_id", "occurred_at_ms", "stage"),
        Index("ix_deal_stage_changes_deal", "portal_id", "hubspot_deal_id", "occurred_at_ms"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    hubspot_deal_id: Mapped[str] = mapped_column(String(64), nullable=False)
    order_key: Mapped[str | None] = mapped_column(String(512))
    stage: Mapped[str] = mapped_column(String(128), nullable=False)
    change_source: Mapped[str | None] = mapped_column(String(64))
    adopted: Mapped[bool] = mapped_column(default=False, nullable=False)
    occurred_at_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, nullable=False)


class PendingAssociation(Base):
    """An association the next sync pass must (re)create, e.g. deals onto a merge's surviving contact.

    The sync engine reads rows with `done_at` NULL, creates the association
    (idempotent in HubSpot) and sets `done_at`.
    """

    __tablename__ = "pending_associations"
    __table_args__ = (UniqueConstraint("portal_id", "from_type", "from_id", "to_type", "to_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    from_type: Mapped[str] = mapped_column(String(20), nullable=False)
    from_id: Mapped[str] = mapped_column(String(64), nullable=False)
    to_type: Mapped[str] = mapped_column(String(20), nullable=False)
    to_id: Mapped[str] = mapped_column(String(64), nullable=False)
    reason: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, nullable=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
