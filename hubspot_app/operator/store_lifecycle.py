"""Pause, resume and disconnect a store: an operator's answer to a store that is down, moving or gone.

Paused: the app stops calling the store (polls, backfills, the card's Refresh,
reconciles skip it; pushes are stored, and the first poll after resuming
catches up through `updated_since`). Disconnected: the store's row, its key,
its push inbox and its checkpoints are gone; its data is kept (a reconnect
under the same code finds its links, so nothing is duplicated in HubSpot) or
purged from our tables. What HubSpot holds is never touched.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from ..db.models import (AttributionSubmission, CardOrder, MoulinEvent, ObjectLink, SyncCheckpoint, SyncError,
                         SyncedOrder)
from ..logs import log_event
from .stores import get_store

log = logging.getLogger(__name__)

STORE_KEYED_LINKS = ("deal", "line_item", "company")  # source_key "<store>:..."; contacts and products are shared


def set_paused(session: Session, portal_id: int, store_id: int, paused: bool) -> None:
    store = get_store(session, portal_id, store_id)
    store.settings = {**(store.settings or {}), "paused": paused}  # reassigned: JSON columns see no in-place edit
    log_event(log, "operator.store_paused" if paused else "operator.store_resumed", portal_id=portal_id,
              store=store.code)


@dataclass(frozen=True)
class Disconnected:
    code: str
    name: str
    purged_rows: int


def disconnect(session: Session, portal_id: int, store_id: int, purge: bool) -> Disconnected:
    store = get_store(session, portal_id, store_id)
    code, prefix = store.code, f"{store.code}:"
    removed = session.execute(delete(MoulinEvent).where(MoulinEvent.store_id == store.id)).rowcount
    removed += session.execute(delete(SyncCheckpoint).where(
        SyncCheckpoint.portal_id == portal_id, SyncCheckpoint.store_code == code)).rowcount
    if purge:
        removed += session.execute(delete(CardOrder).where(
            CardOrder.portal_id == portal_id, CardOrder.store_code == code)).rowcount
        removed += session.execute(delete(SyncedOrder).where(
            SyncedOrder.portal_id == portal_id, SyncedOrder.order_key.startswith(prefix, autoescape=True))).rowcount
        removed += session.execute(delete(ObjectLink).where(
            ObjectLink.portal_id == portal_id, ObjectLink.kind.in_(STORE_KEYED_LINKS),
            ObjectLink.source_key.startswith(prefix, autoescape=True))).rowcount
        removed += session.execute(delete(AttributionSubmission).where(
            AttributionSubmission.portal_id == portal_id, AttributionSubmission.store_code == code)).rowcount
        removed += session.execute(delete(SyncError).where(SyncError.portal_id == portal_id, or_(
            SyncError.source_key.startswith(prefix, autoescape=True), SyncError.source_key == f"poll:{code}"))
        ).rowcount
    session.delete(store)
    log_event(log, "operator.store_disconnected", portal_id=portal_id, store=code, purge=purge, purged_rows=removed)
    return Disconnected(code=code, name=store.name, purged_rows=removed if purge else 0)
