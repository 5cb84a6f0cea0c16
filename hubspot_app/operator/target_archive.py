"""The settings page's explicit request to archive what a switched-off target left in HubSpot.

Switching a target off never archives anything by itself; this is the separate, confirmed action. It checks the
target is off for this store, then starts the archive as a bulk job (`sync.target_archive`, by ids).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ..db.models import MoulinStore
from ..jobs import bulk
from ..logs import log_event
from ..sync import target_archive
from .stores import get_store

log = logging.getLogger(__name__)

CONFIRM_WORD = "archive"


class NothingToArchive(ValueError):
    """The target named is still on for the store (or was never a target): nothing may be archived."""


@dataclass(frozen=True)
class Archivable:
    target: str  # "orders" (with the store's carts) or "deals"
    count: int  # the store's records of it still in HubSpot
    job: str | None  # the archive job's state (`bulk.status`), None when none is under way or failed


def archivable(session: Session, portal_id: int, store: MoulinStore, now: datetime) -> list[Archivable]:
    """The store's switched-off targets with records left in HubSpot, or whose archive job is under way."""
    job = bulk.status(session, bulk.JobRef(target_archive.JOB, portal_id, store.code), now)
    found = [Archivable(target, target_archive.archivable_count(session, portal_id, store.code, target), job)
             for target in target_archive.targets_off(session, portal_id, store.code)]
    return [a for a in found if a.count or a.job]


def start_archive(session: Session, portal_id: int, store_id: int, target: str) -> MoulinStore:
    """Start archiving the store's records of `target`; refused unless that target is off for the store now."""
    store = get_store(session, portal_id, store_id)
    if target not in target_archive.targets_off(session, portal_id, store.code):
        raise NothingToArchive(f"HubSpot {target} are not a target this store switched off: nothing was archived.")
    started = bulk.start(bulk.JobRef(target_archive.JOB, portal_id, store.code))
    log_event(log, "operator.target_archive_started", portal_id=portal_id, store=store.code, target=target,
              already_running=not started)
    return store
