"""Marketing jobs: set up, send checkout submissions, push consent, reconcile consent. Each takes a portal id.

Every minute each active portal is set up once (as far as its scopes allow), then its pending submissions
and consent changes are sent; the consent reconcile runs nightly. Rate limits and transient errors are
retried by Huey; anything else is logged and the next run starts again from the database.
"""
from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import select

from hubspot_app import extensions
from hubspot_app.consent import service as consent
from hubspot_app.db.models import Installation
from hubspot_app.hubspot.errors import TransientError
from hubspot_app.logs import log_event
from hubspot_app.moulin.errors import MoulinUnavailable
from hubspot_app.attribution import service as attribution
from hubspot_app.attribution.capabilities import capabilities

logger = logging.getLogger(__name__)
TRANSIENT = (TransientError, MoulinUnavailable)


def run_marketing(portal_id: int) -> dict:
    """One pass for a portal: set up what its scopes allow and is not made yet, send submissions, push consent."""
    with extensions.db().session() as session:
        caps = capabilities(session, portal_id)
    if caps.needs_setup:
        attribution.setup_marketing(portal_id)
    return {**attribution.submit_pending(portal_id), **consent.push_pending(portal_id)}


def _guarded(name: str, fn):
    def run(portal_id: int):
        try:
            return fn(portal_id)
        except Exception as error:  # noqa: BLE001 - the job boundary: logged here, transient ones retried
            log_event(logger, "marketing.job.failed", logging.ERROR, portal_id=portal_id, job=name,
                      transient=isinstance(error, TRANSIENT), error=str(error)[:300])
            if isinstance(error, TRANSIENT):
                raise
            return {"failed": str(error)}
    return run


JOBS = {"marketing.run": run_marketing, "marketing.consent_reconcile": consent.reconcile_consent}


def _each_portal(job: str):
    def enqueue_all() -> None:
        with extensions.db().session() as session:
            portals = list(session.scalars(select(Installation.portal_id).where(Installation.status == "active")))
        for portal_id in portals:
            extensions.jobs().enqueue(job, portal_id)
    return enqueue_all


def register(queue) -> None:
    for name, fn in JOBS.items():
        queue.register(_guarded(name, fn), name=name, retries=5, retry_delay=60)
    queue.register_periodic(_each_portal("marketing.run"), crontab(minute="*"), name="marketing.run_all")
    queue.register_periodic(_each_portal("marketing.consent_reconcile"), crontab(minute="43", hour="3"),
                            name="marketing.consent_reconcile_all")
