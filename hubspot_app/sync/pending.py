"""Associations the webhooks asked for (`pending_associations`), sent with each sync's plan.

A contact merge in HubSpot usually carries its deals over; when it did not,
the deals of the merged contacts' orders must be attached to the survivor.
The rows are read with the sync's other reads, their pairs planned as batch
associations (`planner.Work.associate_ids`), and settled with its results.
Creating an association is idempotent, so a row done twice costs nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.base import now_of
from ..db.models.webhooks import PendingAssociation
from ..db.one_of import one_of
from ..logs import log_event
from ..webhooks import facts
from hubspot_app.db import repository as repo

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingLinks:
    """Open rows -> the (deal id, contact id) pair to create now, or None when either end is no longer live."""

    rows: dict[int, tuple[str, str] | None]

    def pairs(self) -> list[tuple[str, str]]:
        return sorted({pair for pair in self.rows.values() if pair})


def load_pending(session: Session, portal_id: int) -> PendingLinks:
    rows = session.scalars(select(PendingAssociation).where(
        PendingAssociation.portal_id == portal_id, PendingAssociation.from_type == "deal",
        PendingAssociation.to_type == "contact", PendingAssociation.done_at.is_(None)).order_by(PendingAssociation.id))
    pair_of = {}
    for row in rows:
        # Later events may have merged or deleted either end since the row was written.
        deal, deal_life = facts.resolve(session, portal_id, "deal", row.from_id)
        contact, contact_life = facts.resolve(session, portal_id, "contact", row.to_id)
        pair_of[row.id] = (deal, contact) if deal_life == contact_life == facts.LIVE else None
    return PendingLinks(pair_of)


def settle_pending(session: Session, portal_id: int, pending: PendingLinks,
                   failed: dict[tuple[str, str], str]) -> None:
    """Rows whose pair was created (or is moot) are done; failures stay pending, with an open error."""
    if not pending.rows:
        return
    pairs = pending.pairs()
    repo.record_errors(session, portal_id, "pending_association", {f"{d}->{c}": m for (d, c), m in failed.items()})
    repo.resolve_errors(session, portal_id, "pending_association", [f"{d}->{c}" for d, c in pairs
                                                                      if (d, c) not in failed])
    done = now_of(session)
    rows = session.scalars(select(PendingAssociation).where(
        one_of(session, PendingAssociation.id, sorted(pending.rows))))
    for row in rows:
        if pending.rows[row.id] not in failed:
            row.done_at = done
    log_event(logger, "sync.pending_associations.done", portal_id=portal_id, rows=len(pending.rows),
              sent=len(pairs), failed=len(failed))
