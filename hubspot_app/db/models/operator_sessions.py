from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, UTCDateTime


class OperatorSession(Base):
    """A browser signed in to one portal's operator pages.

    The session cookie carries only a random id; this row is what makes it
    valid. A signed cookie alone cannot be revoked (a copy saved before "Sign
    out" would stay good until it expires), so signing out deletes the row.
    The id is stored hashed: a copy of the table opens nothing.
    """

    __tablename__ = "operator_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    portal_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)


class SpentToken(Base):
    """A single-use token (an operator link, an OAuth state) that has been used.

    Kept until the token would have expired anyway; after that its signature
    or cookie refuses it on its own, and the row can go.
    """

    __tablename__ = "spent_tokens"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
