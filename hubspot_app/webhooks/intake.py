"""Take in a verified delivery: the receiver keeps it as received, the worker turns it into stored events.

`receive` runs inside HubSpot's 5-second budget, so its only write is one row
holding the body (the inbox, `inbox.py`), then one enqueue. `accept_deliveries`
runs in the worker, for a batch of deliveries: one SELECT (which portals are
installed), one INSERT of the events we handle that skips those already stored
(the dedupe key is unique).
"""
from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..db.base import now_of
from ..db.models import Installation
from ..db.models.webhooks import ReceivedDelivery, WebhookEvent
from ..logs import log_event
from ..db import bulk
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


def _installed_portals(session: Session, portal_ids: set[int]) -> set[int]:
    rows = session.execute(
        select(Installation.portal_id).where(Installation.portal_id.in_(portal_ids), Installation.status == "active")
    )
    return {row[0] for row in rows}


def _event_row(event: ParsedEvent, key: str, delivery_id: str, now) -> dict:
    return dict(dedupe_key=key, delivery_id=delivery_id, portal_id=event.portal_id,
                subscription_type=event.subscription_type, object_type=event.object_type, object_id=event.object_id,
                occurred_at_ms=event.occurred_at_ms, payload=event.raw, status="pending", received_at=now)


def _log_ignored(ignored: Counter) -> None:
    # One line per kind of skipped event, not per event: our own sync's creations arrive by the thousand.
    for (portal_id, subscription_type, property_name, reason), count in ignored.items():
        log_event(logger, "webhook.events_ignored", portal_id=portal_id, subscription_type=subscription_type,
                  property_name=property_name, reason=reason, count=count)


def accept_deliveries(session: Session, deliveries: list[tuple[str, list[ParsedEvent]]]) -> list[Accepted]:
    """Store what we handle of each (delivery id, events), all in one INSERT; the caller commits."""
    portals = {e.portal_id for _, events in deliveries for e in events}
    installed = _installed_portals(session, portals) if portals else set()
    rows, now, ignored, skipped = [], now_of(session), Counter(), [0] * len(deliveries)
    seen: dict[str, tuple[int, ParsedEvent]] = {}  # by dedupe key: the delivery (its index) and the event
    for index, (delivery_id, events) in enumerate(deliveries):
        for event in events:
            if event.portal_id not in installed or handler_for(event) is None:
                reason = "portal not installed" if event.portal_id not in installed else "type not handled"
                ignored[(event.portal_id, event.subscription_type, event.property_name, reason)] += 1
                skipped[index] += 1
                continue
            key = event.dedupe_key()
            if key not in seen:  # else the same event twice in one batch
                seen[key] = (index, event)
                rows.append(_event_row(event, key, delivery_id, now))
    _log_ignored(ignored)
    inserted = bulk.insert_new(session, WebhookEvent.__table__, rows, ("dedupe_key",), WebhookEvent.id,
                               WebhookEvent.dedupe_key) if rows else []
    stored: list[list[tuple[int, ParsedEvent]]] = [[] for _ in deliveries]
    for row_id, key in inserted:
        index, event = seen[key]
        stored[index].append((row_id, event))
    return [Accepted(delivery_id if mine else None, mine, len(events) - ignoring - len(mine), ignoring)
            for (delivery_id, events), mine, ignoring in zip(deliveries, stored, skipped)]


def accept_delivery(session: Session, events: list[ParsedEvent], delivery_id: str | None = None) -> Accepted:
    """Store what we handle under `delivery_id` (a new one if None); the caller commits."""
    return accept_deliveries(session, [(delivery_id or uuid.uuid4().hex, events)])[0]


def receive(inbox, queue, body: bytes) -> str:
    """One INSERT of the body as received, committed, then one enqueue; returns the delivery's id.

    Parsing, deduplication and the portal check happen in the worker (`processing.process_inbox`): per event
    they cost more than this whole request, and on SQLite they would hold the write lock."""
    delivery_id = uuid.uuid4().hex
    with inbox.session() as session:
        session.execute(insert(ReceivedDelivery).values(id=delivery_id, body=body, received_at=now_of(session)))
    queue.enqueue(PROCESS_TASK)
    return delivery_id
