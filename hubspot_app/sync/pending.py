"""Associations the webhooks asked for (`pending_associations`), created at the start of each sync pass.

A contact merge in HubSpot usually carries its deals over; when it did not,
the deals of the merged contacts' orders must be attached to the survivor.
Creating an association is idempotent, so a row done twice costs nothing.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.base import now_of
from ..db.models.webhooks import PendingAssociation
from ..hubspot.errors import PermanentError, Unauthorized
from ..logs import log_event
from ..webhooks import facts
from . import repository as repo
from .planner import DEAL_CONTACT

logger = logging.getLogger(__name__)


def drain_pending_associations(session: Session, crm, portal_id: int) -> int:
    """Create the pending deal -> contact associations; returns how many were sent. Failures stay pending."""
    rows = list(session.scalars(select(PendingAssociation).where(
        PendingAssociation.portal_id == portal_id, PendingAssociation.from_type == "deal",
        PendingAssociation.to_type == "contact", PendingAssociation.done_at.is_(None)).order_by(PendingAssociation.id)))
    if not rows:
        return 0
    pair_of = {}
    for row in rows:
        # Later events may have merged or deleted either end since the row was written.
        deal, deal_life = facts.resolve(session, portal_id, "deal", row.from_id)
        contact, contact_life = facts.resolve(session, portal_id, "contact", row.to_id)
        pair_of[row.id] = (deal, contact) if deal_life == contact_life == facts.LIVE else None
    pairs = sorted({p for p in pair_of.values() if p})
    failed = _associate(crm, pairs)
    repo.record_errors(session, portal_id, "pending_association", {f"{d}->{c}": m for (d, c), m in failed.items()})
    repo.resolve_errors(session, portal_id, "pending_association", [f"{d}->{c}" for d, c in pairs
                                                                      if (d, c) not in failed])
    done = now_of(session)
    for row in rows:
        if pair_of[row.id] not in failed:
            row.done_at = done
    log_event(logger, "sync.pending_associations.done", portal_id=portal_id, rows=len(rows), sent=len(pairs),
              failed=len(failed))
    return len(pairs) - len(failed)


def _associate(crm, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """One call for all; if HubSpot refuses some, each alone, so one dead deal does not hold back the others."""
    if not pairs:
        return {}
    messages = _send(crm, pairs)
    if not messages:
        return {}
    if len(pairs) == 1:
        return {pairs[0]: messages}
    return {pair: message for pair in pairs if (message := _send(crm, [pair]))}


def _send(crm, pairs: list[tuple[str, str]]) -> str:
    from_type, to_type, type_id = DEAL_CONTACT
    try:
        return "; ".join(crm.associate(from_type, to_type, type_id, pairs))
    except Unauthorized:
        raise
    except PermanentError as error:  # a whole-batch refusal must not stop the order sync that follows
        return error.message
