"""Process the deliveries waiting in the inbox as one batch: one transaction, set-based reads and writes.

`process_inbox` takes up to `DELIVERIES_PER_BATCH` deliveries as received
(`inbox.py`), parses them, stores their events (`intake.accept_deliveries`) and
processes them together; their inbox rows are deleted only once that is
committed, so a crash at any point leaves them for the next job or the sweep
(storing is idempotent: the dedupe key). The batch's pending events are read
in one query, in occurredAt order; the
lifecycle facts of every object they name are loaded in one query per object
type; consecutive deletions and restores are applied as one run
(`lifecycle_runs`), projecting each object's links once; the other events
(merges, email and stage changes, opt-outs, privacy deletions) go through their
handler in order between runs; the facts changed and every event's status are
then written with one UPDATE each (`bulk`). If an event fails, the batch is rolled back and replayed
one event per transaction, so a single bad event is marked "failed" without
holding back the others; handlers are idempotent, so the replay is safe. A
database error (lock, lost connection) is not the event's fault: it propagates,
the job is retried and the events stay pending.

Each event is processed once: the inbox rows and the pending events are locked
as they are read (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has a single
writer), so two jobs, or a sweep beside a job, never take the same delivery.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..db.base import now_of
from ..db.models.webhooks import ReceivedDelivery, WebhookEvent
from ..logs import log_event
from ..db import bulk
from . import facts, lifecycle_runs
from .events import MalformedDelivery, ParsedEvent, parse_delivery, stored_event
from .handlers import LifecycleHandler, handler_for
from .intake import accept_deliveries

logger = logging.getLogger(__name__)

_PENDING = (WebhookEvent.status == "pending")
# Deliveries taken by one job (up to 100 events each): the batch's reads and writes are per statement, not per
# event, so a larger batch costs less per event; 20 keeps a transaction around 2,000 events.
DELIVERIES_PER_BATCH = 20


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


def _apply_rows(session: Session, rows: list[tuple[int, ParsedEvent]], app_id: int | None) -> Counter:
    """Apply stored events (row id, event), in the given order, and mark each row; the caller commits."""
    events = [event for _, event in rows]
    _preload_facts(session, events)
    results = _apply(session, events, app_id)
    facts.write(session)
    session.flush()  # the handlers' writes first: a privacy deletion rewrites stored payloads
    bulk.update_rows(session, WebhookEvent.__table__, ("id",), ("status", "outcome"),
                     [{"id": row_id, "status": status, "outcome": outcome[:255]}
                      for (row_id, _), (status, outcome) in zip(rows, results)], processed_at=now_of(session))
    if logger.isEnabledFor(logging.DEBUG):  # log_event masks its fields even for a record then dropped
        for event, (_, outcome) in zip(events, results):
            log_event(logger, "webhook.event_processed", logging.DEBUG, portal_id=event.portal_id,
                      subscription_type=event.subscription_type, object_id=event.object_id, outcome=outcome)
    return Counter(status for status, _ in results)


def _apply_events(database, app_id: int | None, *where) -> Counter:
    """One transaction: the pending events matching `where`, applied and marked."""
    with database.session() as session:
        rows = [(row_id, stored_event(payload)) for row_id, payload in _pending(session, *where)]
        return _apply_rows(session, rows, app_id) if rows else Counter()


def _mark_failed(database, event_id: int, error: Exception) -> None:
    with database.session() as session:
        row = session.get(WebhookEvent, event_id)
        row.status, row.outcome, row.processed_at = "failed", f"{type(error).__name__}: {error}"[:255], now_of(session)
        log_event(logger, "webhook.event_failed", logging.ERROR, portal_id=row.portal_id, object_id=row.object_id,
                  subscription_type=row.subscription_type, error=type(error).__name__)


def _one_by_one(database, delivery_ids: list[str], app_id: int | None) -> Counter:
    with database.session() as session:
        ids = [row_id for row_id, _ in _pending(session, WebhookEvent.delivery_id.in_(delivery_ids))]
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


def process_deliveries(database, delivery_ids: list[str], app_id: int | None) -> Counter:
    """The stored events of these deliveries; returns how many events ended in each status."""
    try:
        statuses = _apply_events(database, app_id, WebhookEvent.delivery_id.in_(delivery_ids))
    except OperationalError:
        raise  # the database itself (lock, connection): the job is retried, events stay pending
    except Exception:  # noqa: BLE001 - one event broke the batch: find it, apply the others
        statuses = _one_by_one(database, delivery_ids, app_id)
    log_event(logger, "webhook.deliveries_processed", deliveries=len(delivery_ids), **dict(statuses))
    return statuses


def _parse(deliveries: list[tuple[str, bytes]]) -> list[tuple[str, list[ParsedEvent]]]:
    """Each delivery's readable events; the others are logged (the receiver checked the body is a JSON array)."""
    parsed = []
    for delivery_id, body in deliveries:
        try:
            events, failed = parse_delivery(body)
        except MalformedDelivery as error:  # never expected; such a row must not block the inbox for good
            log_event(logger, "webhook.malformed", logging.WARNING, delivery_id=delivery_id, reason=str(error))
            continue
        for event in failed:
            # The record of a failed event is this line: what it carried may be unstorable (a NUL, a huge number).
            log_event(logger, "webhook.event_failed", logging.WARNING, delivery_id=delivery_id,
                      position=event.position, event_id=event.event_id, reason=event.reason)
        parsed.append((delivery_id, events))
    return parsed


def _store(session: Session, parsed: list[tuple[str, list[ParsedEvent]]]) -> list[tuple[int, ParsedEvent]]:
    """The events stored now (not those stored before: duplicates), in occurredAt order."""
    rows = [row for accepted in accept_deliveries(session, parsed) for row in accepted.rows]
    return sorted(rows, key=lambda row: (row[1].occurred_at_ms, row[0]))


def _store_and_apply(database, parsed: list[tuple[str, list[ParsedEvent]]], app_id: int | None) -> Counter:
    """One transaction: the events stored and applied as they are, never read back."""
    with database.session() as session:
        rows = _store(session, parsed)
        return _apply_rows(session, rows, app_id) if rows else Counter()


def process_inbox(database, inbox, app_id: int | None, limit: int = DELIVERIES_PER_BATCH,
                  older_than: timedelta | None = None) -> int:
    """Take up to `limit` deliveries from the inbox (received over `older_than` ago, if given), oldest first,
    store and process their events, then delete them from the inbox. Returns how many deliveries were taken."""
    with inbox.session() as claim:
        waiting = select(ReceivedDelivery.id, ReceivedDelivery.body)
        if older_than is not None:
            waiting = waiting.where(ReceivedDelivery.received_at < now_of(claim) - older_than)
        # The claim's row locks (PostgreSQL) last until its DELETE commits, after the events are processed.
        taken = claim.execute(waiting.order_by(ReceivedDelivery.received_at, ReceivedDelivery.id).limit(limit)
                              .with_for_update(skip_locked=True)).all()
        if not taken:
            return 0
        ids = [delivery_id for delivery_id, _ in taken]
        parsed = _parse([(delivery_id, bytes(body)) for delivery_id, body in taken])
        try:
            statuses = _store_and_apply(database, parsed, app_id)
            log_event(logger, "webhook.deliveries_processed", deliveries=len(ids), **dict(statuses))
        except OperationalError:
            raise  # the database itself (lock, connection): the job is retried, the deliveries stay in the inbox
        except Exception:  # noqa: BLE001 - one event broke the batch: store them all, then find it as below
            with database.session() as session:
                _store(session, parsed)
            process_deliveries(database, ids, app_id)
        claim.execute(delete(ReceivedDelivery).where(ReceivedDelivery.id.in_(ids)))
    return len(ids)


STALE_AFTER = timedelta(minutes=2)


def sweep_stale(database, inbox, app_id: int | None, older_than: timedelta = STALE_AFTER) -> int:
    """Process deliveries whose job was lost (enqueue failed after the commit, worker died mid-way): those left
    in the inbox, then events stored but left pending (a job that died between its transactions, or events
    stored by a receiver before the inbox). HubSpot's retry of them is deduplicated and would never enqueue them
    again. Returns how many deliveries were swept."""
    swept = 0
    while taken := process_inbox(database, inbox, app_id, older_than=older_than):
        swept += taken
    with database.session() as session:
        deliveries = list(session.scalars(select(WebhookEvent.delivery_id).where(
            _PENDING, WebhookEvent.received_at < now_of(session) - older_than).distinct()))
    for delivery_id in deliveries:
        process_deliveries(database, [delivery_id], app_id)
    return swept + len(deliveries)
