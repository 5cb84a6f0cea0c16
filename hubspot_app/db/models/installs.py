from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime, recorded_at


class Installation(Base):
    """One HubSpot account ("portal") that installed the app.

    Tokens are stored only encrypted (`*_enc`). `refresh_lease_until` is a
    compare-and-swap lease: the one process that sets it may spend the refresh
    token, so two workers never both use (and so invalidate) the same one.
    """

    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    hub_domain: Mapped[str | None] = mapped_column(String(255))
    installed_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    installed_by_email: Mapped[str | None] = mapped_column(String(320))
    scopes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refresh_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="active", nullable=False)
    status_reason: Mapped[str | None] = mapped_column(String(255))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=recorded_at, onupdate=recorded_at, nullable=False)
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_active(self) -> bool:
        return self.status == "active"
