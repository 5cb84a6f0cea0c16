"""Accept a verified delivery: keep the events we handle, in one INSERT, and enqueue one job.

This runs inside HubSpot's 5-second budget, so it does no processing: one
SELECT (which portals are installed), one multi-row INSERT that skips events
already stored (the dedupe key is unique), one enqueue.
"""
from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.base import insert_skipping_conflicts, now_of
from ..db.models import Installation
from ..db.models.webhooks import WebhookEvent
from ..logs import log_event
from .events import ParsedEvent
from .handlers import handler_for

logger = logging.getLogger(__name__)

PROCESS_TASK = "webhooks.process_delivery"


@dataclass(frozen=True)
class Accepted:
    delivery_id: str | None
    stored: int
    duplicates: int
    ignored: int


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> int:
    stmt = insert_skipping_conflicts(session, WebhookEvent, index_elements=["dedupe_key"])
    # Parameters passed separately: the statement compiles once and is cached, and SQLAlchemy still sends
    # one multi-row INSERT. RETURNING counts the rows really inserted (rowcount is unreliable here).
    result = session.connection().execute(stmt.returning(WebhookEvent.id), rows)
    return len(result.all())


def _installed_portals(session: Session, portal_ids: set[int]) -> set[int]:
    rows = session.execute(
        select(Installation.portal_id).where(Installation.portal_id.in_(portal_ids), Installation.status == "active")
    )
    return {row[0] for row in rows}


def accept_delivery(session: Session, events: list[ParsedEvent]) -> Accepted:
    """Store what we handle; the caller commits and then enqueues `PROCESS_TASK` with the delivery id."""
    installed = _installed_portals(session, {e.portal_id for e in events}) if events else set()
    delivery_id = uuid.uuid4().hex
    rows, now = [], now_of(session)
    ignored: Counter = Counter()
    seen: set[str] = set()
    for event in events:
        if event.portal_id not in installed or handler_for(event) is None:
            reason = "portal not installed" if event.portal_id not in installed else "type not handled"
            ignored[(event.portal_id, event.subscription_type, event.property_name, reason)] += 1
            continue
        key = event.dedupe_key()
        if key in seen:  # the same event twice in one batch
            continue
        seen.add(key)
        rows.append(dict(dedupe_key=key, delivery_id=delivery_id, portal_id=event.portal_id,
                         subscription_type=event.subscription_type, object_type=event.object_type,
                         object_id=event.object_id, occurred_at_ms=event.occurred_at_ms, payload=event.raw,
                         status="pending", received_at=now))
    # One line per kind of skipped event, not per event: our own sync's creations arrive by the thousand.
    for (portal_id, subscription_type, property_name, reason), count in ignored.items():
        log_event(logger, "webhook.events_ignored", portal_id=portal_id, subscription_type=subscription_type,
                  property_name=property_name, reason=reason, count=count)
    stored = _insert_ignoring_duplicates(session, rows) if rows else 0
    skipped = sum(ignored.values())
    return Accepted(delivery_id if stored else None, stored, len(events) - skipped - stored, skipped)


def receive(database, queue, events: list[ParsedEvent]) -> Accepted:
    """Store in one unit of work, then one enqueue for the whole delivery (after commit, so the job sees the rows)."""
    with database.session() as session:
        accepted = accept_delivery(session, events)
    if accepted.delivery_id:
        queue.enqueue(PROCESS_TASK, accepted.delivery_id)
    return accepted
