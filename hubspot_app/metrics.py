"""Prometheus metrics: counters any area increments, and gauges read from the database at scrape time.

Counters live in this process (with PROMETHEUS_MULTIPROC_DIR set, in files
shared by every process on the machine). Gauges such as sync lag and queue
depth are computed when `/metrics` is scraped, from the database and the
queue, so the web process reports them right whichever worker did the work.
"""
from __future__ import annotations

import logging
import os
import threading
from collections import Counter as Tally
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)

HUBSPOT_CALLS = Counter("moulin_hubspot_calls", "HubSpot API requests sent, by portal and HTTP status class",
                        ["portal_id", "status"])
HUBSPOT_RATE_LIMITED = Counter("moulin_hubspot_rate_limited", "HubSpot answers 429 (rate limited), by portal",
                               ["portal_id"])
SYNC_RECORDS = Counter("moulin_sync_records", "Records the sync wrote to HubSpot or failed, by portal, kind, outcome",
                       ["portal_id", "kind", "outcome"])


# This process's HubSpot usage not yet added to the `hubspot_usage` table: (portal, "calls"|"rate_limited").
_unflushed: Tally = Tally()
_unflushed_lock = threading.Lock()  # the executor calls HubSpot from several threads


def record_hubspot_call(portal_id: int, status: int | None) -> None:
    """Count one HubSpot attempt (retries included); `status` None when no answer came (timeout, connection)."""
    HUBSPOT_CALLS.labels(portal_id=str(portal_id), status=f"{status // 100}xx" if status else "no_answer").inc()
    if status == 429:
        HUBSPOT_RATE_LIMITED.labels(portal_id=str(portal_id)).inc()
    with _unflushed_lock:
        _unflushed[(portal_id, "calls")] += 1
        _unflushed[(portal_id, "rate_limited")] += status == 429


def flush_usage(database) -> None:
    """Add this process's counts to the shared table, so the health page sees every process's calls.

    Called when a job or a web request ends, never during a call: the sync may hold a write transaction
    across HubSpot calls, and on SQLite a second writer from the same process would wait for it."""
    from .db.models import HubSpotUsage

    with _unflushed_lock:
        counts = dict(_unflushed)
        _unflushed.clear()
    portals = {portal for portal, _ in counts}
    if not portals:
        return
    try:
        with database.session() as session:
            for portal in sorted(portals):
                row = session.get(HubSpotUsage, portal, with_for_update=True)
                if row is None:
                    row = HubSpotUsage(portal_id=portal, calls=0, rate_limited=0)
                    session.add(row)
                row.calls += counts.get((portal, "calls"), 0)
                row.rate_limited += counts.get((portal, "rate_limited"), 0)
    except SQLAlchemyError as error:
        with _unflushed_lock:  # kept for the next flush: a count is never lost to a busy database
            _unflushed.update(counts)
        logger.warning("hubspot.usage_not_flushed: %s", type(error).__name__)


def record_sync_outcome(portal_id: int, kind: str, synced: int, failed: int) -> None:
    """Count the records one sync batch wrote to HubSpot and those it could not, per kind."""
    if synced:
        SYNC_RECORDS.labels(portal_id=str(portal_id), kind=kind, outcome="synced").inc(synced)
    if failed:
        SYNC_RECORDS.labels(portal_id=str(portal_id), kind=kind, outcome="failed").inc(failed)


def hubspot_usage(session, portal_id: int) -> dict[str, int]:
    """Every process's counts for one portal (calls, 429s), as flushed, for the sync health page."""
    from .db.models import HubSpotUsage

    row = session.get(HubSpotUsage, portal_id)
    return {"calls": row.calls if row else 0, "rate_limited": row.rate_limited if row else 0}


class StateCollector:
    """Gauges read at scrape time: sync lag per portal, queue depth, failing records and pending webhooks."""

    def __init__(self, database, queue, clock, inbox=None):
        self.database, self.queue, self.clock = database, queue, clock
        self.inbox = inbox or database  # the webhook inbox: a file of its own beside a SQLite database

    def collect(self):
        from .db.models import Installation, MoulinEvent, SyncError, WebhookEvent
        from .moulin.inbox import pending_events

        now: datetime = self.clock()
        lag = GaugeMetricFamily("moulin_sync_lag_seconds",
                                "Age of the oldest Moulin change not yet synced (0 when none waits), by active portal",
                                labels=["portal_id"])
        failing = GaugeMetricFamily("moulin_sync_failing_records", "Records whose last sync failed, by portal",
                                    labels=["portal_id"])
        webhooks = GaugeMetricFamily("moulin_webhook_events_pending", "HubSpot webhook events stored, not processed",
                                     labels=["portal_id"])
        with self.database.session() as session:
            lags = {portal_id: 0.0 for portal_id in session.scalars(
                select(Installation.portal_id).where(Installation.status == "active"))}
            for portal_id, received_at in session.execute(
                    pending_events().with_only_columns(MoulinEvent.portal_id, func.min(MoulinEvent.received_at))
                    .group_by(MoulinEvent.portal_id)):
                lags[portal_id] = max(0.0, (now - received_at).total_seconds())
            for portal_id, seconds in sorted(lags.items()):
                lag.add_metric([str(portal_id)], seconds)
            for portal_id, count in session.execute(
                    select(SyncError.portal_id, func.count()).where(SyncError.resolved_at.is_(None))
                    .group_by(SyncError.portal_id)):
                failing.add_metric([str(portal_id)], count)
            for portal_id, count in session.execute(
                    select(WebhookEvent.portal_id, func.count()).where(WebhookEvent.status == "pending")
                    .group_by(WebhookEvent.portal_id)):
                webhooks.add_metric([str(portal_id)], count)
        depth = GaugeMetricFamily("moulin_queue_depth", "Jobs waiting in the queue")
        depth.add_metric([], self.queue.pending_count())
        yield from (lag, failing, webhooks, depth, self._deliveries_waiting())

    def _deliveries_waiting(self) -> GaugeMetricFamily:
        # Received, their events not yet stored: not counted by moulin_webhook_events_pending (no portal known
        # before the worker parses the body).
        from .db.models.webhooks import ReceivedDelivery

        waiting = GaugeMetricFamily("moulin_webhook_deliveries_waiting",
                                    "HubSpot webhook deliveries received whose events the worker has not stored yet")
        with self.inbox.session() as session:
            waiting.add_metric([], session.scalar(select(func.count()).select_from(ReceivedDelivery)))
        return waiting


def exposition(database, queue, clock, inbox=None) -> bytes:
    """The text `/metrics` serves: this machine's counters plus the state gauges."""
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector(database, queue, clock, inbox))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counters = CollectorRegistry()
        MultiProcessCollector(counters)
    else:
        counters = REGISTRY
    return generate_latest(counters) + generate_latest(state)
