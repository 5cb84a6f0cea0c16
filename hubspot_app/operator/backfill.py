"""Start a store's first import and report its progress, read from the sync engine's checkpoint."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import SyncCheckpoint, SyncError
from ..jobs import bulk
from ..logs import log_event
from .stores import get_store

log = logging.getLogger(__name__)

BACKFILL_TASK = "sync.backfill"


@dataclass(frozen=True)
class Progress:
    store_id: int
    store_code: str
    # "not_started" | "queued" | "running" | "interrupted" (its worker died; resumed when a worker starts)
    # | "failed" | "stopped" (ended early, e.g. a command-line run cut short) | "done"
    state: str
    orders_imported: int
    failing_records: int
    updated_at: datetime | None

    def as_json(self) -> dict:
        data = asdict(self)
        data["updated_at"] = self.updated_at.isoformat() if self.updated_at else None
        return data


def start_backfill(session: Session, portal_id: int, store_id: int) -> None:
    store = get_store(session, portal_id, store_id)
    # The engine's job takes the portal and the store's code; it records progress in its checkpoint.
    started = bulk.start(bulk.JobRef(BACKFILL_TASK, portal_id, store.code))
    log_event(log, "operator.backfill_started", portal_id=portal_id, store=store.code, already_running=not started)


def progress(session: Session, portal_id: int, store_id: int, now: datetime) -> Progress:
    store = get_store(session, portal_id, store_id)
    row = session.scalar(select(SyncCheckpoint).where(SyncCheckpoint.portal_id == portal_id,
                                                      SyncCheckpoint.store_code == store.code,
                                                      SyncCheckpoint.mode == "backfill"))
    failing = session.scalar(select(func.count()).select_from(SyncError).where(
        SyncError.portal_id == portal_id, SyncError.resolved_at.is_(None))) or 0
    job = bulk.status(session, bulk.JobRef(BACKFILL_TASK, portal_id, store.code), now)
    if row is None:
        return Progress(store.id, store.code, job or "not_started", 0, failing, None)
    state = "done" if row.done else job or "stopped"
    return Progress(store.id, store.code, state, row.position, failing, row.updated_at)
