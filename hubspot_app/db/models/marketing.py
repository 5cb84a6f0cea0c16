"""Marketing truth: checkout attribution (form submissions) and email consent kept both ways."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime, recorded_at


class MarketingSetup(Base):
    """What the app made or found in a portal for marketing: its checkout form and the subscription type used."""

    __tablename__ = "marketing_setups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    checkout_form_id: Mapped[str | None] = mapped_column(String(64))
    subscription_type_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, onupdate=recorded_at, nullable=False)


class AttributionSubmission(Base):
    """One order's checkout form submission: created once per order, so it is sent at most once.

    `state`: pending -> sending -> submitted | rejected (HubSpot refused the hutk or the email, `reason`);
    a row left in `sending` by a crash is never re-sent (HubSpot's submissions are not idempotent).
    `payload` holds what will be sent (personal data) only until it is sent.
    """

    __tablename__ = "attribution_submissions"
    __table_args__ = (
        UniqueConstraint("portal_id", "store_code", "order_id"),
        Index("ix_attribution_submissions_state", "portal_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    store_code: Mapped[str] = mapped_column(String(64), nullable=False)
    order_id: Mapped[str] = mapped_column(String(128), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConsentState(Base):
    """The latest known email-marketing consent of one address in one portal, whichever side changed it last."""

    __tablename__ = "consent_states"
    __table_args__ = (UniqueConstraint("portal_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # granted | withdrawn
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    source: Mapped[str] = mapped_column(String(64), nullable=False)  # "moulin:<store>:<source>" | "hubspot:<source>"
    # A change from Moulin not yet written to HubSpot's subscription status.
    pending_hubspot: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, onupdate=recorded_at, nullable=False)
