"""Server-side operator sessions: the cookie names a row; no row, no access.

Flask's session is a signed cookie, valid wherever it is replayed until it
expires. Keeping the session itself in the database lets "Sign out" (and an
uninstall) end it for every copy of the cookie, and bounds its life on the
server, whatever the browser does with the cookie.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db.models import OperatorSession
from ..single_use import token_hash


@dataclass(frozen=True)
class Operator:
    portal_id: int
    email: str | None


def open_session(session: Session, portal_id: int, email: str | None, now: datetime, lifetime: timedelta) -> str:
    """A new session for `portal_id`; returns the id the cookie carries (only its hash is stored)."""
    session.execute(delete(OperatorSession).where(OperatorSession.expires_at < now))
    session_id = secrets.token_urlsafe(32)
    session.add(OperatorSession(id_hash=token_hash(session_id), portal_id=portal_id, email=email,
                                created_at=now, expires_at=now + lifetime))
    return session_id


def find_session(session: Session, session_id: str, now: datetime) -> Operator | None:
    row = session.scalar(select(OperatorSession).where(OperatorSession.id_hash == token_hash(session_id),
                                                        OperatorSession.expires_at > now))
    return None if row is None else Operator(portal_id=row.portal_id, email=row.email)


def close_session(session: Session, session_id: str) -> None:
    session.execute(delete(OperatorSession).where(OperatorSession.id_hash == token_hash(session_id)))
