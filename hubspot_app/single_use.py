"""Tokens that may be used once: the operator link and the OAuth `state`.

A signature proves a token is ours and recent, not that it is fresh: a link
copied from browser history, or an OAuth callback replayed with the cookie it
was issued with, would pass again. `spend` records the token's hash the first
time and says no every time after, across processes (the database decides).
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from .db.base import insert_skipping_conflicts
from .db.models import SpentToken


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def spend(session: Session, kind: str, token: str, expires_at: datetime, now: datetime) -> bool:
    """True the first time `token` of `kind` is spent, False after. The caller's unit of work commits."""
    session.execute(delete(SpentToken).where(SpentToken.expires_at < now))
    statement = insert_skipping_conflicts(session, SpentToken).values(kind=kind, token_hash=token_hash(token),
                                                                     expires_at=expires_at)
    # Two requests racing with one token: the unique key lets exactly one insert through.
    inserted = session.execute(statement.returning(SpentToken.token_hash))
    return inserted.first() is not None
