"""Take in a verified delivery: the receiver keeps it as received, the worker turns it into stored events.

`receive` runs inside HubSpot's 5-second budget, so its only write is one row
holding the body (the inbox, `inbox.py`), then one enqueue. `accept_delivery`
runs in the worker: one SELECT (which portals are installed), one multi-row
INSERT of the events we handle that skips those already stored (the dedupe key
is unique).
"""
from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..db.base import insert_skipping_conflicts, now_of
from ..db.models import Installation
from ..db.models.webhooks import ReceivedDelivery, WebhookEvent
from ..logs import log_event
from .events import ParsedEvent
from .handlers import handler_for

logger = logging.getLogger(__name__)

PROCESS_TASK = "webhooks.process_inbox"


@dataclass(frozen=True)
class Accepted:
    delivery_id: str | None
    rows: list[tuple[int, ParsedEvent]]  # the events stored now, with their row ids
    duplicates: int
    ignored: int

    @property
    def stored(self) -> int:
        return len(self.rows)


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> dict[str, int]:
    """Row id by dedupe key, of the rows really inserted (rowcount is unreliable here, and RETURNING's order is
    not the input's on SQLite)."""
    stmt = insert_skipping_conflicts(session, WebhookEvent, index_elements=["dedupe_key"])
    # Parameters passed separately: the statement compiles once and is cached, and SQLAlchemy still sends
    # one multi-row INSERT.
    result = session.connection().execute(stmt.returning(WebhookEvent.id, WebhookEvent.dedupe_key), rows)
    return {key: row_id for row_id, key in result}


def _installed_portals(session: Session, portal_ids: set[int]) -> set[int]:
    rows = session.execute(
        select(Installation.portal_id).where(Installation.portal_id.in_(portal_ids), Installation.status == "active")
    )
    return {row[0] for row in rows}


def accept_delivery(session: Session, events: list[ParsedEvent], delivery_id: str | None = None) -> Accepted:
    """Store what we handle under `delivery_id` (a new one if None); the caller commits."""
    installed = _installed_portals(session, {e.portal_id for e in events}) if events else set()
    delivery_id = delivery_id or uuid.uuid4().hex
    rows, now = [], now_of(session)
    ignored: Counter = Counter()
    seen: dict[str, ParsedEvent] = {}
    for event in events:
        if event.portal_id not in installed or handler_for(event) is None:
            reason = "portal not installed" if event.portal_id not in installed else "type not handled"
            ignored[(event.portal_id, event.subscription_type, event.property_name, reason)] += 1
            continue
        key = event.dedupe_key()
        if key in seen:  # the same event twice in one batch
            continue
        seen[key] = event
        rows.append(dict(dedupe_key=key, delivery_id=delivery_id, portal_id=event.portal_id,
                         subscription_type=event.subscription_type, object_type=event.object_type,
                         object_id=event.object_id, occurred_at_ms=event.occurred_at_ms, payload=event.raw,
                         status="pending", received_at=now))
    # One line per kind of skipped event, not per event: our own sync's creations arrive by the thousand.
    for (portal_id, subscription_type, property_name, reason), count in ignored.items():
        log_event(logger, "webhook.events_ignored", portal_id=portal_id, subscription_type=subscription_type,
                  property_name=property_name, reason=reason, count=count)
    inserted = _insert_ignoring_duplicates(session, rows) if rows else {}
    skipped = sum(ignored.values())
    return Accepted(delivery_id if inserted else None, [(row_id, seen[key]) for key, row_id in inserted.items()],
                    len(events) - skipped - len(inserted), skipped)


def receive(inbox, queue, body: bytes) -> str:
    """One INSERT of the body as received, committed, then one enqueue; returns the delivery's id.

    Parsing, deduplication and the portal check happen in the worker (`processing.process_inbox`): per event
    they cost more than this whole request, and on SQLite they would hold the write lock."""
    delivery_id = uuid.uuid4().hex
    with inbox.session() as session:
        session.execute(insert(ReceivedDelivery).values(id=delivery_id, body=body, received_at=now_of(session)))
    queue.enqueue(PROCESS_TASK)
    return delivery_id
