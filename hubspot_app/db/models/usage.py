from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class HubSpotUsage(Base):
    """HubSpot requests sent for a portal by every process (web, workers, CLI), for the sync health page.

    Each process counts in memory and adds its counts here after each job and each web request, when its own
    transactions are closed (see `metrics.flush_usage`)."""

    __tablename__ = "hubspot_usage"

    portal_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    calls: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    rate_limited: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
