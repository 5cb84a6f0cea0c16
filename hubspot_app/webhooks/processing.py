"""Process one stored delivery (up to 100 events) as a batch: one transaction, set-based reads and writes.

The delivery's pending events are read in one query, in occurredAt order; the
lifecycle facts of every object they name are loaded in one query per object
type; consecutive deletions and restores are applied as one run
(`lifecycle_runs`), projecting each object's links once; the other events
(merges, email and stage changes, opt-outs, privacy deletions) go through their
handler in order between runs; every event's status is written with one
executemany UPDATE. If an event fails, the batch is rolled back and replayed
one event per transaction, so a single bad event is marked "failed" without
holding back the others; handlers are idempotent, so the replay is safe. A
database error (lock, lost connection) is not the event's fault: it propagates,
the job is retried and the events stay pending.

Each event is processed once: the pending rows are locked as they are read
(FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has a single writer), so a sweep
running beside the delivery's job finds nothing left to do.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..db.base import now_of
from ..db.models.webhooks import WebhookEvent
from ..logs import log_event
from . import facts, lifecycle_runs
from .events import ParsedEvent, stored_event
from .handlers import LifecycleHandler, handler_for

logger = logging.getLogger(__name__)

_PENDING = (WebhookEvent.status == "pending")


def _pending(session: Session, *where) -> list[tuple[int, dict]]:
    return list(session.execute(select(WebhookEvent.id, WebhookEvent.payload).where(_PENDING, *where)
                                .order_by(WebhookEvent.occurred_at_ms, WebhookEvent.id)
                                .with_for_update(skip_locked=True)).all())


def _preload_facts(session: Session, events: list[ParsedEvent]) -> None:
    objects: dict[tuple[int, str, bool], set[str]] = {}
    for event in events:
        # Deletions and restores always record a fact: their rows are created up front, in one statement.
        creates = isinstance(handler_for(event), LifecycleHandler)
        objects.setdefault((event.portal_id, event.object_type, creates), set()).add(event.object_id)
    for (portal_id, object_type, creates), object_ids in sorted(objects.items(), key=lambda item: not item[0][2]):
        facts.preload(session, portal_id, object_type, object_ids, create=creates)


def _apply(session: Session, events: list[ParsedEvent], app_id: int | None) -> list[tuple[str, str]]:
    """(status, outcome) per event, in order: runs of lifecycle events together, the others one by one."""
    results: list[tuple[str, str]] = []
    run: list[tuple[ParsedEvent, str]] = []

    def close_run() -> None:
        results.extend(("processed", outcome) for outcome in lifecycle_runs.apply_run(session, run))
        run.clear()

    for event in events:
        handler = handler_for(event)
        if isinstance(handler, LifecycleHandler):
            run.append((event, handler.lifecycle))
            continue
        close_run()
        results.append(("skipped", "no handler") if handler is None
                       else ("processed", handler(session, event, app_id)))
    close_run()
    return results


def _apply_events(database, app_id: int | None, *where) -> Counter:
    """One transaction: the pending events matching `where`, applied and marked."""
    with database.session() as session:
        rows = _pending(session, *where)
        if not rows:
            return Counter()
        events = [stored_event(payload) for _, payload in rows]
        _preload_facts(session, events)
        results = _apply(session, events, app_id)
        now = now_of(session)
        session.flush()  # the handlers' writes first: a privacy deletion rewrites stored payloads
        table = WebhookEvent.__table__
        session.connection().execute(
            update(table).where(table.c.id == bindparam("row_id"))
            .values(status=bindparam("new_status"), outcome=bindparam("new_outcome"), processed_at=now),
            [{"row_id": row_id, "new_status": status, "new_outcome": outcome[:255]}
             for (row_id, _), (status, outcome) in zip(rows, results)])
    if logger.isEnabledFor(logging.DEBUG):  # log_event masks its fields even for a record then dropped
        for event, (_, outcome) in zip(events, results):
            log_event(logger, "webhook.event_processed", logging.DEBUG, portal_id=event.portal_id,
                      subscription_type=event.subscription_type, object_id=event.object_id, outcome=outcome)
    return Counter(status for status, _ in results)


def _mark_failed(database, event_id: int, error: Exception) -> None:
    with database.session() as session:
        row = session.get(WebhookEvent, event_id)
        row.status, row.outcome, row.processed_at = "failed", f"{type(error).__name__}: {error}"[:255], now_of(session)
        log_event(logger, "webhook.event_failed", logging.ERROR, portal_id=row.portal_id, object_id=row.object_id,
                  subscription_type=row.subscription_type, error=type(error).__name__)


def _one_by_one(database, delivery_id: str, app_id: int | None) -> Counter:
    with database.session() as session:
        ids = [row_id for row_id, _ in _pending(session, WebhookEvent.delivery_id == delivery_id)]
    statuses: Counter = Counter()
    for event_id in ids:
        try:
            statuses += _apply_events(database, app_id, WebhookEvent.id == event_id)
        except OperationalError:
            raise
        except Exception as error:  # noqa: BLE001 - recorded on the event, visible to the operator
            _mark_failed(database, event_id, error)
            statuses["failed"] += 1
    return statuses


def process_delivery(database, delivery_id: str, app_id: int | None) -> Counter:
    """Returns how many events ended in each status."""
    try:
        statuses = _apply_events(database, app_id, WebhookEvent.delivery_id == delivery_id)
    except OperationalError:
        raise  # the database itself (lock, connection): the job is retried, events stay pending
    except Exception:  # noqa: BLE001 - one event broke the batch: find it, apply the others
        statuses = _one_by_one(database, delivery_id, app_id)
    log_event(logger, "webhook.delivery_processed", delivery_id=delivery_id, **dict(statuses))
    return statuses


def sweep_stale(database, app_id: int | None, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Process deliveries whose job was lost (enqueue failed after the commit, worker died mid-way).

    Their events are stored, so HubSpot's retry is deduplicated and would never enqueue them again.
    Returns how many deliveries were swept.
    """
    with database.session() as session:
        deliveries = list(session.scalars(select(WebhookEvent.delivery_id).where(
            _PENDING, WebhookEvent.received_at < now_of(session) - older_than).distinct()))
    for delivery_id in deliveries:
        process_delivery(database, delivery_id, app_id)
    return len(deliveries)
