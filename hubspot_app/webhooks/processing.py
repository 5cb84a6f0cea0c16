"""Process one stored delivery: its pending events in occurredAt order, each through its handler.

All events of a delivery are applied in one transaction (fast path). If one
fails, that transaction is rolled back and the events are replayed one per
transaction, so a single bad event is marked "failed" without holding back
the others; handlers are idempotent, so the replay is safe.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.base import utcnow
from ..db.models.webhooks import WebhookEvent
from ..logs import log_event
from .events import parse_event
from .handlers import HANDLERS

logger = logging.getLogger(__name__)


def _pending(session: Session, delivery_id: str) -> list[WebhookEvent]:
    return list(session.scalars(select(WebhookEvent).where(
        WebhookEvent.delivery_id == delivery_id, WebhookEvent.status == "pending")
        .order_by(WebhookEvent.occurred_at_ms, WebhookEvent.id)))


def _apply(session: Session, row: WebhookEvent, app_id: int | None) -> None:
    event = parse_event(row.payload)
    handler = HANDLERS.get((row.object_type, event.action))
    if handler is None:
        row.status, row.outcome = "skipped", "no handler"
    else:
        row.status, row.outcome = "processed", handler(session, event, app_id)[:255]
    row.processed_at = utcnow()
    log_event(logger, "webhook.event_processed", portal_id=row.portal_id, subscription_type=row.subscription_type,
              object_id=row.object_id, status=row.status, outcome=row.outcome)


def process_delivery(database, delivery_id: str, app_id: int | None) -> int:
    """Returns how many events were handled."""
    try:
        with database.session() as session:
            rows = _pending(session, delivery_id)
            for row in rows:
                _apply(session, row, app_id)
            return len(rows)
    except Exception as error:  # noqa: BLE001 - isolate the failing event below
        log_event(logger, "webhook.delivery_retry_one_by_one", logging.WARNING, delivery_id=delivery_id,
                  error=type(error).__name__)
    with database.session() as session:
        ids = [row.id for row in _pending(session, delivery_id)]
    for event_id in ids:
        try:
            with database.session() as session:
                row = session.get(WebhookEvent, event_id)
                if row.status == "pending":
                    _apply(session, row, app_id)
        except Exception as error:  # noqa: BLE001 - recorded on the event, visible to the operator
            with database.session() as session:
                row = session.get(WebhookEvent, event_id)
                row.status, row.outcome, row.processed_at = "failed", f"{type(error).__name__}: {error}"[:255], utcnow()
            log_event(logger, "webhook.event_failed", logging.ERROR, portal_id=row.portal_id, object_id=row.object_id,
                      subscription_type=row.subscription_type, error=type(error).__name__)
    return len(ids)
