"""Sync jobs. Each takes ids, calls one service, and records a failure as a dead-letter row.

Only transient failures (HubSpot 429/5xx/timeouts after the transport retries,
Moulin unavailable, SQLite's "database is locked") are raised back to Huey,
which retries them later; anything else would fail again the same way, so it
is recorded and the job ends.
"""
from __future__ import annotations

import functools
import logging
import time

from huey import crontab
from sqlalchemy import select

from hubspot_app import extensions
from hubspot_app.jobs import bulk
from hubspot_app.db import DatabaseBusy
from hubspot_app.db.models import Installation, MoulinEvent
from hubspot_app.hubspot.errors import TransientError
from hubspot_app.install.tokens import TokenBusy
from hubspot_app.logs import log_event
from hubspot_app.moulin.errors import MoulinUnavailable
from hubspot_app.moulin.inbox import sweep_inbox
from hubspot_app.sync import abandonment
from hubspot_app.sync import backfill as backfill_service
from hubspot_app.sync import engine, links_delivery, pushes, reconcile as reconcile_service, target_archive
from hubspot_app.db import repository as repo
from hubspot_app.jobs.keys import job_key

logger = logging.getLogger(__name__)

RETRIES = 5
RETRY_DELAY_S = 60
# DatabaseBusy: SQLite's "database is locked" (a writer held the lock past the busy timeout), gone shortly.
TRANSIENT = (TransientError, MoulinUnavailable, engine.MoulinDown, TokenBusy, DatabaseBusy)


def _recorded(name: str, fn):
    """Run the service; dead-letter every failure, re-raise only the transient ones (Huey retries those)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):  # kwargs: a bulk slice's chain token, not part of the job's identity
        key = job_key(name, args)
        portal_id = args[0] if name != "sync.moulin_event" else _event_portal(args[0])
        try:
            result = fn(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - the job boundary: every failure is recorded here
            with extensions.db().session() as session:
                repo.record_errors(session, portal_id or 0, "job", {key: f"{type(error).__name__}: {error}"})
            log_event(logger, "sync.job.failed", logging.ERROR, portal_id=portal_id, job=name,
                      transient=isinstance(error, TRANSIENT), error=str(error)[:300])
            if isinstance(error, TRANSIENT):
                raise
            return {"failed": str(error)}
        with extensions.db().session() as session:  # a retry that succeeded closes its dead letter
            repo.resolve_errors(session, portal_id or 0, "job", [key])
        return result
    return run


def _event_portal(event_row_id: int) -> int | None:
    with extensions.db().session() as session:
        event = session.get(MoulinEvent, event_row_id)
        return event.portal_id if event else None


def _active_portals() -> list[int]:
    with extensions.db().session() as session:
        return list(session.scalars(select(Installation.portal_id).where(Installation.status == "active")))


def poll_all() -> None:
    for portal_id in _active_portals():
        bulk.start(bulk.JobRef("sync.poll", portal_id))


def abandon_due_all() -> None:
    queue = extensions.jobs()
    for portal_id in abandonment.portals_due():
        queue.enqueue("sync.abandon_due", portal_id)


def reconcile_all() -> None:
    for portal_id in _active_portals():
        bulk.start(bulk.JobRef("sync.reconcile", portal_id))


def backfill_slice(portal_id: int, store_code: str | None = None, token: str | None = None) -> dict:
    return bulk.run_slice(bulk.JobRef("sync.backfill", portal_id, store_code or ""), token, lambda budget: not (
        backfill_service.backfill(portal_id, store_code, budget=budget)["stopped"]), TRANSIENT)


def poll_slice(portal_id: int, token: str | None = None) -> dict:
    def one_slice(budget: bulk.SliceBudget) -> bool:
        backfilling = bulk.waiting_keys(portal_id, "sync.backfill")  # "": the whole portal's
        return not backfill_service.poll(portal_id, budget=budget, backfilling=backfilling)["stopped"]
    return bulk.run_slice(bulk.JobRef("sync.poll", portal_id), token, one_slice, TRANSIENT)


def reconcile_job(portal_id: int, token: str | None = None) -> dict:
    # One run compares a whole store (its archive step needs every order seen), so it is not sliced; each store
    # has its own time limit instead, and the lease is renewed as it goes (else the sweep would start a twin).
    limit_s = extensions.config().reconcile_store_seconds

    def whole_run(budget: bulk.SliceBudget) -> bool:
        def store_budget():
            deadline = time.monotonic() + limit_s
            return lambda: budget.renew() and time.monotonic() < deadline

        reconcile_service.reconcile(portal_id, store_budget=store_budget)
        return True

    return bulk.run_slice(bulk.JobRef("sync.reconcile", portal_id), token, whole_run, TRANSIENT)


def archive_target_slice(portal_id: int, store_code: str, token: str | None = None) -> dict:
    """The operator's request to archive what a store's switched-off target left in HubSpot, in slices."""
    return bulk.run_slice(bulk.JobRef(target_archive.JOB, portal_id, store_code), token, lambda budget: (
        target_archive.archive_switched_off(portal_id, store_code, budget.keep_going)["done"]), TRANSIENT)


REALTIME_JOBS = {
    "sync.setup_portal": engine.setup_portal,
    "sync.moulin_event": pushes.handle_push,
    "sync.customer": engine.sync_customer_orders,
    "sync.abandon_due": abandonment.abandon_due,
    links_delivery.JOB: links_delivery.deliver_links,
}
BULK_JOBS = {
    "sync.backfill": backfill_slice,
    "sync.poll": poll_slice,
    "sync.reconcile": reconcile_job,
    target_archive.JOB: archive_target_slice,
}
# The one job registry: the operator's retry reads failed jobs back by these services' signatures
# (`job_keys.read_job_key`).
JOBS = {**REALTIME_JOBS, **BULK_JOBS}


def register(queue) -> None:
    for bulk_queue, jobs in ((False, REALTIME_JOBS), (True, BULK_JOBS)):
        for name, service in jobs.items():
            queue.register(_recorded(name, service), name=name, retries=RETRIES, retry_delay=RETRY_DELAY_S,
                           bulk=bulk_queue)
    queue.register_periodic(poll_all, crontab(minute="*/5"), name="sync.poll_all")
    queue.register_periodic(abandon_due_all, crontab(minute="*/2"), name="sync.abandon_due_all")
    queue.register_periodic(reconcile_all, crontab(minute="17", hour="3"), name="sync.reconcile_all")
    queue.register_periodic(sweep_inbox, crontab(minute="*"), name="sync.sweep_pushes")
    queue.register_periodic(bulk.sweep, crontab(minute="*"), name="jobs.sweep_bulk")
