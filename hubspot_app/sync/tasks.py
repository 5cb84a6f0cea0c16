"""Sync jobs. Each takes ids, calls one service, and records a failure as a dead-letter row.

Only transient failures (HubSpot 429/5xx/timeouts after the transport retries,
Moulin unavailable) are raised back to Huey, which retries them later; anything
else would fail again the same way, so it is recorded and the job ends.
"""
from __future__ import annotations

import functools
import logging

from huey import crontab
from sqlalchemy import select

from .. import extensions
from ..db.models import Installation, MoulinEvent
from ..hubspot.errors import TransientError
from ..install.tokens import TokenBusy
from ..logs import log_event
from ..moulin.errors import MoulinUnavailable
from . import abandonment
from . import backfill as backfill_service
from . import engine, reconcile as reconcile_service
from . import repository as repo
from .job_keys import job_key

logger = logging.getLogger(__name__)

RETRIES = 5
RETRY_DELAY_S = 60
TRANSIENT = (TransientError, MoulinUnavailable, engine.MoulinDown, TokenBusy)


def _recorded(name: str, fn):
    """Run the service; dead-letter every failure, re-raise only the transient ones (Huey retries those)."""
    @functools.wraps(fn)
    def run(*args):
        key = job_key(name, args)
        portal_id = args[0] if name != "sync.moulin_event" else _event_portal(args[0])
        try:
            result = fn(*args)
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
    queue = extensions.jobs()
    for portal_id in _active_portals():
        queue.enqueue("sync.poll", portal_id)


def abandon_due_all() -> None:
    queue = extensions.jobs()
    for portal_id in abandonment.portals_due():
        queue.enqueue("sync.abandon_due", portal_id)


def reconcile_all() -> None:
    queue = extensions.jobs()
    for portal_id in _active_portals():
        queue.enqueue("sync.reconcile", portal_id)


# The one job registry: every sync job is registered from here, and the operator's retry reads failed ones
# back by these services' signatures (`job_keys.read_job_key`).
JOBS = {
    "sync.setup_portal": engine.setup_portal,
    "sync.moulin_event": engine.handle_moulin_event,
    "sync.customer": engine.sync_customer_orders,
    "sync.backfill": backfill_service.backfill,
    "sync.poll": backfill_service.poll,
    "sync.reconcile": reconcile_service.reconcile,
    "sync.abandon_due": abandonment.abandon_due,
}


def register(queue) -> None:
    for name, service in JOBS.items():
        queue.register(_recorded(name, service), name=name, retries=RETRIES, retry_delay=RETRY_DELAY_S)
    queue.register_periodic(poll_all, crontab(minute="*/5"), name="sync.poll_all")
    queue.register_periodic(abandon_due_all, crontab(minute="*/2"), name="sync.abandon_due_all")
    queue.register_periodic(reconcile_all, crontab(minute="17", hour="3"), name="sync.reconcile_all")
