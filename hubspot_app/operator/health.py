"""Sync health of one portal, read from the sync and webhook tables: what is in sync, what fails and why.

`sync_health` is a query service: it only reads, and shapes rows for the page.
"Runs" are the sync engine's checkpoints, one per store and mode (backfill,
poll): how far each has gone and when it last moved. `retry_errors` is the
page's one action: it re-runs the engine's jobs for failed records.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Database
from ..db.base import now_of
from ..db.models import (MoulinEvent, MoulinStore, ObjectLink, SyncCheckpoint, SyncConflict, SyncedOrder, SyncError,
                         WebhookEvent)
from ..jobs import JobQueue
from ..logs import log_event
from ..metrics import hubspot_usage
from .retry import FailedRecord, RetryPlan, order_key_of, plan_retries

log = logging.getLogger(__name__)

MAX_ERRORS_SHOWN = 200
RECENT_EVENTS = 20


@dataclass(frozen=True)
class SyncHealth:
    runs: list[SyncCheckpoint]
    in_sync: dict[str, int]
    failing_total: int
    failing: list[SyncError]
    conflicts: list[SyncConflict]
    webhook_events: list[WebhookEvent]
    moulin_pending: int
    oldest_pending_at: datetime | None
    last_push_at: dict[str, datetime]
    failed_pushes: list[MoulinEvent]
    usage: dict[str, int] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return self.failing_total == 0 and not self.conflicts


def sync_health(session: Session, portal_id: int) -> SyncHealth:
    runs = list(session.scalars(select(SyncCheckpoint).where(SyncCheckpoint.portal_id == portal_id)
                                .order_by(SyncCheckpoint.store_code, SyncCheckpoint.mode)))
    in_sync = dict(session.execute(select(ObjectLink.kind, func.count()).where(
        ObjectLink.portal_id == portal_id, ObjectLink.state == "synced").group_by(ObjectLink.kind)).all())
    open_errors = (SyncError.portal_id == portal_id, SyncError.resolved_at.is_(None))
    failing_total = session.scalar(select(func.count()).select_from(SyncError).where(*open_errors)) or 0
    failing = list(session.scalars(select(SyncError).where(*open_errors)
                                   .order_by(SyncError.last_seen_at.desc(), SyncError.id).limit(MAX_ERRORS_SHOWN)))
    conflicts = list(session.scalars(select(SyncConflict).where(
        SyncConflict.portal_id == portal_id, SyncConflict.resolved_at.is_(None))
        .order_by(SyncConflict.created_at.desc()).limit(RECENT_EVENTS)))
    events = list(session.scalars(select(WebhookEvent).where(WebhookEvent.portal_id == portal_id)
                                  .order_by(WebhookEvent.received_at.desc(), WebhookEvent.id.desc())
                                  .limit(RECENT_EVENTS)))
    pending, oldest = session.execute(select(func.count(), func.min(MoulinEvent.received_at)).where(
        MoulinEvent.portal_id == portal_id, MoulinEvent.processed_at.is_(None))).one()
    last_push_at = dict(session.execute(
        select(MoulinStore.code, func.max(MoulinEvent.received_at))
        .join(MoulinStore, MoulinStore.id == MoulinEvent.store_id)
        .where(MoulinEvent.portal_id == portal_id).group_by(MoulinStore.code)).all())
    failed_pushes = list(session.scalars(select(MoulinEvent).where(
        MoulinEvent.portal_id == portal_id, MoulinEvent.error.is_not(None))
        .order_by(MoulinEvent.received_at.desc(), MoulinEvent.id.desc()).limit(RECENT_EVENTS)))
    return SyncHealth(runs=runs, in_sync=in_sync, failing_total=failing_total, failing=failing,
                      conflicts=conflicts, webhook_events=events, moulin_pending=pending or 0,
                      oldest_pending_at=oldest, last_push_at=last_push_at, failed_pushes=failed_pushes,
                      usage=hubspot_usage(session, portal_id))


@dataclass(frozen=True)
class RetryOutcome:
    requested: int  # failed records a job was enqueued for
    jobs: int
    not_retryable: int  # records that sync again only at their next change


def retry_errors(database: Database, queue: JobQueue, portal_id: int, error_id: int | None = None) -> RetryOutcome:
    """Re-run the engine's jobs for failed records: one (`error_id`) or every open one of the portal.

    Its own unit of work, committed before the jobs are enqueued: a job (run at once by an immediate queue, or
    by a quick worker) must see the closed rows, and would otherwise wait on this transaction's row locks."""
    with database.session() as session:
        plan = _plan_and_close(session, portal_id, error_id)
    for (name, args) in plan.jobs:
        queue.enqueue(name, *args)
    log_event(log, "operator.retry_requested", portal_id=portal_id, records=plan.covered, jobs=len(plan.jobs),
              not_retryable=len(plan.not_retryable), one=error_id is not None)
    return RetryOutcome(plan.covered, len(plan.jobs), len(plan.not_retryable))


def _plan_and_close(session: Session, portal_id: int, error_id: int | None) -> RetryPlan:
    query = select(SyncError).where(SyncError.portal_id == portal_id, SyncError.resolved_at.is_(None))
    if error_id is not None:
        query = query.where(SyncError.id == error_id)
    rows = list(session.scalars(query.order_by(SyncError.id)))
    records = [FailedRecord(r.id, r.kind, r.source_key) for r in rows]
    order_keys = {key for key in map(order_key_of, records) if key}
    emails = dict(session.execute(select(SyncedOrder.order_key, SyncedOrder.contact_email).where(
        SyncedOrder.portal_id == portal_id, SyncedOrder.order_key.in_(order_keys))).all()) if order_keys else {}
    plan = plan_retries(portal_id, records, emails)
    retried_jobs = {i for (name, _), ids in plan.jobs.items() for i in ids if name != "sync.customer"}
    for row in rows:
        # A failed job leaves no record to re-sync: its row closes now and reopens if the job fails again.
        if row.id in retried_jobs:
            row.resolved_at = now_of(session)
    return plan
