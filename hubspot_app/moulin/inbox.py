"""The push inbox's safety net: events stored but never enqueued (queue down at receipt, job lost) are sent again.

The receiver answers 202 once an event is stored, even when the enqueue after
the commit fails, so Moulin never re-sends it: without this sweep such an event
would wait in `moulin_events` forever. Only events still pending (no error:
failed ones wait for an operator's retry) of active portals are swept.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from .. import extensions
from ..db.models import Installation, MoulinEvent
from ..logs import log_event
from .push import TASK

logger = logging.getLogger(__name__)

SWEEP_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 1000


def pending_events():
    """Events waiting to be synced: not processed, not failed, of a portal still installed."""
    return select(MoulinEvent).join(Installation, Installation.portal_id == MoulinEvent.portal_id).where(
        MoulinEvent.processed_at.is_(None), MoulinEvent.error.is_(None), Installation.status == "active")


def sweep_inbox(now: datetime | None = None) -> int:
    """Enqueue again the pending events older than `SWEEP_AFTER`; returns how many."""
    queue = extensions.jobs()
    if queue.huey.pending_count():
        # Jobs are still waiting: these events may be among them. Sweeping now would enqueue each twice.
        return 0
    now = now or extensions.clock()()
    with extensions.db().session() as session:
        rows = session.execute(pending_events().with_only_columns(MoulinEvent.id, MoulinEvent.portal_id)
                               .where(MoulinEvent.received_at < now - SWEEP_AFTER)
                               .order_by(MoulinEvent.id).limit(SWEEP_BATCH)).all()
    for event_row_id, portal_id in rows:
        log_event(logger, "moulin.push.swept", logging.WARNING, portal_id=portal_id, event_row_id=event_row_id)
        queue.enqueue(TASK, event_row_id)
    return len(rows)
