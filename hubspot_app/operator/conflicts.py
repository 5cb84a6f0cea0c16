"""The health page's answers to conflicts the sync found (as opposed to `health.retry_errors` for failures)."""
from __future__ import annotations

import logging

from .. import extensions
from ..db.base import now_of
from ..logs import log_event
from ..sync.identity import link_to_new_email

log = logging.getLogger(__name__)


def link_customer_to_new_email(portal_id: int, conflict_id: int) -> int:
    """A Moulin customer took an email another contact has: it joins that contact, and is synced again now.

    Committed before the syncs are queued (a worker must see it). Returns how many were queued (0: no such
    open conflict).
    """
    with extensions.db().session() as session:
        emails = link_to_new_email(session, portal_id, conflict_id, now_of(session))
    queue = extensions.jobs()
    for email in emails:
        queue.enqueue("sync.customer", portal_id, email)
    log_event(log, "operator.conflict_resolved", portal_id=portal_id, conflict_id=conflict_id, syncs=len(emails))
    return len(emails)
