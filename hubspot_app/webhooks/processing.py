"""Process one stored delivery: its pending events in occurredAt order, each through its handler.

Events are applied a few at a time, one transaction per chunk: short write
transactions keep SQLite's single writer lock free for the receiver, which
must answer HubSpot within seconds. If an event fails, its chunk is rolled back
and replayed one event per transaction, so a single bad event is marked
"failed" without holding back the others; handlers are idempotent, so the
replay is safe. A database error (lock, lost connection) is not the event's
fault: it propagates, the job is retried and the events stay pending.
Handlers only touch the database (no HubSpot call inside a chunk), and the
sync holds no transaction across its HubSpot calls (`sync.orders`), so every
writer's lock lasts milliseconds and the receiver's busy timeout covers it.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..db.base import now_of
from ..db.models.webhooks import WebhookEvent
from ..logs import log_event
from .events import parse_event
from .handlers import handler_for

logger = logging.getLogger(__name__)

CHUNK = 5


def _apply(session: Session, row: WebhookEvent, app_id: int | None) -> None:
    event = parse_event(row.payload)
    handler = handler_for(event)
    if handler is None:
        row.status, row.outcome = "skipped", "no handler"
    else:
        row.status, row.outcome = "processed", handler(session, event, app_id)[:255]
    row.processed_at = now_of(session)
    log_event(logger, "webhook.event_processed", logging.DEBUG, portal_id=row.portal_id,
              subscription_type=row.subscription_type, object_id=row.object_id, outcome=row.outcome)


def _apply_ids(database, ids: list[int], app_id: int | None) -> Counter:
    statuses: Counter = Counter()
    with database.session() as session:
        rows = session.scalars(select(WebhookEvent).where(WebhookEvent.id.in_(ids), WebhookEvent.status == "pending")
                               .order_by(WebhookEvent.occurred_at_ms, WebhookEvent.id))
        for row in rows:
            _apply(session, row, app_id)
            statuses[row.status] += 1
    return statuses


def _mark_failed(database, event_id: int, error: Exception) -> None:
    with database.session() as session:
        row = session.get(WebhookEvent, event_id)
        row.status, row.outcome, row.processed_at = "failed", f"{type(error).__name__}: {error}"[:255], now_of(session)
        log_event(logger, "webhook.event_failed", logging.ERROR, portal_id=row.portal_id, object_id=row.object_id,
                  subscription_type=row.subscription_type, error=type(error).__name__)


def process_delivery(database, delivery_id: str, app_id: int | None) -> Counter:
    """Returns how many events ended in each status."""
    with database.session() as session:
        ids = list(session.scalars(select(WebhookEvent.id).where(
            WebhookEvent.delivery_id == delivery_id, WebhookEvent.status == "pending")
            .order_by(WebhookEvent.occurred_at_ms, WebhookEvent.id)))
    statuses: Counter = Counter()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        try:
            statuses += _apply_ids(database, chunk, app_id)
            continue
        except OperationalError:
            raise  # the database itself (lock, connection): the job is retried, events stay pending
        except Exception:  # noqa: BLE001 - isolate the failing event below
            pass
        for event_id in chunk:
            try:
                statuses += _apply_ids(database, [event_id], app_id)
            except OperationalError:
                raise
            except Exception as error:  # noqa: BLE001 - recorded on the event, visible to the operator
                _mark_failed(database, event_id, error)
                statuses["failed"] += 1
    log_event(logger, "webhook.delivery_processed", delivery_id=delivery_id, **dict(statuses))
    return statuses


def sweep_stale(database, app_id: int | None, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Process deliveries whose job was lost (enqueue failed after the commit, worker died mid-way).

    Their events are stored, so HubSpot's retry is deduplicated and would never enqueue them again.
    Returns how many deliveries were swept.
    """
    with database.session() as session:
        deliveries = list(session.scalars(select(WebhookEvent.delivery_id).where(
            WebhookEvent.status == "pending", WebhookEvent.received_at < now_of(session) - older_than).distinct()))
    for delivery_id in deliveries:
        process_delivery(database, delivery_id, app_id)
    return len(deliveries)
