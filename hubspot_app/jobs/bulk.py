"""Bulk jobs run as bounded slices under a per-portal lease, re-enqueued until the job is done.

A backfill of a huge (or endless) store must not hold a worker thread, nor a
portal's whole share of them: each message runs one slice (at most
`sync_slice_pages` Moulin pages and `sync_slice_seconds`), the service commits
its checkpoint after every chunk, and the slice re-enqueues the job at the back
of the bulk queue, so every portal's bulk work takes turns.

Huey drops a message once a worker takes it, so the `bulk_jobs` row is what a
killed worker leaves behind: its lease runs out, and the sweep (at worker
start-up and every minute) enqueues the job again; it resumes from its
checkpoint. The row's token lets exactly one chain of slices live: a message
carrying an older token (a duplicate, or one the sweep replaced) ends at once.
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import or_, select, update

from .. import extensions
from ..db.models import BulkJob
from ..logs import log_event

logger = logging.getLogger(__name__)

DEFER_S = 30  # a slice refused by the per-portal cap tries again this much later
LOST_QUEUED_AFTER = timedelta(minutes=30)  # a queued job with no message left (enqueue failed, queue wiped)
RUNNING, QUEUED, FAILED = "running", "queued", "failed"


@dataclass
class SliceBudget:
    """How much one slice may do; services check `keep_going()` after each committed chunk."""

    pages: int
    seconds: float
    renew: Callable[[], bool] = lambda: True
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def orders(self, page_size: int) -> int:
        return self.pages * page_size

    def keep_going(self) -> bool:
        """False once the time is spent or the lease was taken over (the sweep presumed this worker dead)."""
        return self.renew() and time.monotonic() < self.deadline


@dataclass(frozen=True)
class JobRef:
    task: str
    portal_id: int
    key: str = ""  # the store code for per-store jobs

    def args(self) -> tuple:
        return (self.portal_id, self.key) if self.key else (self.portal_id,)


def _now() -> datetime:
    return extensions.clock()()


def _find(session, job: JobRef, *, lock: bool = False) -> BulkJob | None:
    query = select(BulkJob).where(BulkJob.portal_id == job.portal_id, BulkJob.task == job.task,
                                  BulkJob.key == job.key)
    return session.scalar(query.with_for_update() if lock else query)


def _live(row: BulkJob, now: datetime) -> bool:
    return row.state == RUNNING and row.lease_until is not None and row.lease_until > now


def _queue_up(session, job: JobRef, row: BulkJob | None) -> BulkJob:
    """Mark the job queued under a new token (any older message becomes stale)."""
    if row is None:
        row = BulkJob(portal_id=job.portal_id, task=job.task, key=job.key)
        session.add(row)
    row.token, row.state, row.lease_until, row.error, row.updated_at = uuid.uuid4().hex, QUEUED, None, None, _now()
    session.flush()
    return row


def start(job: JobRef) -> bool:
    """Enqueue a bulk job unless it is already running; False when it was (the running chain goes on).

    The message carries no token: it is a start request, which takes the job over when it runs."""
    with extensions.db().session() as session:
        row = _find(session, job, lock=True)
        if row is not None and _live(row, _now()):
            return False
        _queue_up(session, job, row)
    extensions.jobs().enqueue(job.task, *job.args())
    return True


def _acquire(job: JobRef, token: str | None) -> tuple[str | None, str]:
    """Take the job's lease for one slice: (token, "") when ours, (None or token to defer with, reason) when not."""
    config, now = extensions.config(), _now()
    with extensions.db().session() as session:
        row = _find(session, job, lock=True)
        if token is None:  # a start request (`start`, or a retry from the health page)
            if row is not None and _live(row, now):
                return None, "already running"
            row = _queue_up(session, job, row)
        elif row is None or row.token != token:
            return None, "stale message"
        # Locking the portal's rows makes concurrent acquirers of one portal (PostgreSQL) count in turn.
        running = session.scalars(select(BulkJob.id).where(
            BulkJob.portal_id == job.portal_id, BulkJob.id != row.id, BulkJob.state == RUNNING,
            BulkJob.lease_until > now).with_for_update()).all()
        if len(running) >= config.bulk_jobs_per_portal:
            row.state, row.updated_at = QUEUED, now
            return row.token, "portal at its bulk job cap"
        row.state, row.lease_until, row.error, row.updated_at = (
            RUNNING, now + timedelta(seconds=config.sync_lease_seconds), None, now)
        return row.token, ""


def _renew(job: JobRef, token: str) -> bool:
    now = _now()
    with extensions.db().session() as session:
        return session.execute(update(BulkJob).where(
            BulkJob.portal_id == job.portal_id, BulkJob.task == job.task, BulkJob.key == job.key,
            BulkJob.token == token).values(
            lease_until=now + timedelta(seconds=extensions.config().sync_lease_seconds), updated_at=now)).rowcount == 1


def _finish(job: JobRef, token: str, state: str | None, error: str | None = None) -> bool:
    """Leave the lease: delete the row (done, state None) or set `state`; False if another chain owns it now."""
    with extensions.db().session() as session:
        row = _find(session, job, lock=True)
        if row is None or row.token != token:
            return False
        if state is None:
            session.delete(row)
        else:
            row.state, row.lease_until, row.error, row.updated_at = state, None, error, _now()
        return True


def run_slice(job: JobRef, token: str | None, work: Callable[[SliceBudget], bool],
              transient: tuple[type[BaseException], ...] = ()) -> dict:
    """Run one slice of `work` (True when the whole job is done) under the job's lease, then re-enqueue or finish."""
    queue, config = extensions.jobs(), extensions.config()
    held, reason = _acquire(job, token)
    if reason:
        if held is not None:
            queue.enqueue_in(DEFER_S, job.task, *job.args(), token=held)
        log_event(logger, "jobs.bulk.not_run", portal_id=job.portal_id, task=job.task, key=job.key, reason=reason)
        return {"skipped": reason}
    budget = SliceBudget(config.sync_slice_pages, config.sync_slice_seconds, renew=lambda: _renew(job, held))
    try:
        done = work(budget)
    except transient:
        _finish(job, held, QUEUED)  # Huey retries this very message, with this token
        raise
    except Exception as error:
        _finish(job, held, FAILED, f"{type(error).__name__}: {error}"[:2000])
        raise
    if done:
        _finish(job, held, None)
    elif _finish(job, held, QUEUED):
        queue.enqueue(job.task, *job.args(), token=held)
    log_event(logger, "jobs.bulk.slice", portal_id=job.portal_id, task=job.task, key=job.key, done=done)
    return {"done": done}


def sweep() -> int:
    """Enqueue again the jobs a dead worker left: an expired lease, or a queued job whose message was lost."""
    now = _now()
    lost = [(BulkJob.state == RUNNING) & (BulkJob.lease_until <= now)]
    if not extensions.jobs().bulk.pending_count():
        # Only with the bulk queue empty is an old queued job surely without a message (re-enqueuing one that
        # still waits in a long queue would send it to the back again).
        lost.append((BulkJob.state == QUEUED) & (BulkJob.updated_at <= now - LOST_QUEUED_AFTER))
    with extensions.db().session() as session:
        rows = list(session.scalars(select(BulkJob).where(or_(*lost))))
        jobs = [(JobRef(r.task, r.portal_id, r.key), _queue_up(session, JobRef(r.task, r.portal_id, r.key), r).token)
                for r in rows]
    queue = extensions.jobs()
    for job, token in jobs:
        log_event(logger, "jobs.bulk.resumed", logging.WARNING, portal_id=job.portal_id, task=job.task, key=job.key)
        queue.enqueue(job.task, *job.args(), token=token)
    return len(jobs)


def waiting_keys(portal_id: int, task: str) -> set[str]:
    """The keys of the portal's `task` jobs still to finish (queued, running or interrupted; not failed)."""
    with extensions.db().session() as session:
        return set(session.scalars(select(BulkJob.key).where(
            BulkJob.portal_id == portal_id, BulkJob.task == task, BulkJob.state != FAILED)))


def status(session, job: JobRef, now: datetime) -> str | None:
    """"running", "queued", "interrupted" (lease ran out: a worker died; the sweep resumes it), "failed", or None."""
    row = _find(session, job)
    if row is None:
        return None
    if row.state == RUNNING:
        return RUNNING if _live(row, now) else "interrupted"
    return row.state
