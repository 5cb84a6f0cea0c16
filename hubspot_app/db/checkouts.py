"""Open carts and checkouts and when each turns abandoned (`sync_open_checkouts`): the scheduled check reads
only the due rows (`sync.abandonment`)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hubspot_app.db.models import Installation
from hubspot_app.db.models.sync import OpenCheckout
from hubspot_app.db.one_of import one_of
from hubspot_app.db.upsert import upsert


def track_open_checkouts(session: Session, portal_id: int, store: str, due: dict[str, datetime],
                         closed: Iterable[str]) -> None:
    """due: order id -> when it turns abandoned; closed: order ids no longer open (paid, abandoned, gone)."""
    closed = sorted(set(closed) - set(due))
    for start in range(0, len(closed), 500):
        session.execute(delete(OpenCheckout).where(OpenCheckout.portal_id == portal_id,
                                                   OpenCheckout.store_code == store,
                                                   one_of(session, OpenCheckout.order_id, closed[start:start + 500])))
    upsert(session, OpenCheckout, [{"portal_id": portal_id, "store_code": store, "order_id": order_id,
                                    "due_at": at} for order_id, at in sorted(due.items())],
           ("portal_id", "store_code", "order_id"))


def portals_with_due_checkouts(session: Session, now: datetime) -> list[int]:
    """Active portals with a checkout past its threshold (an uninstalled portal's rows wait for its purge)."""
    return list(session.scalars(select(OpenCheckout.portal_id).join(
        Installation, Installation.portal_id == OpenCheckout.portal_id).where(
        OpenCheckout.due_at <= now, Installation.status == "active").distinct()))


def due_checkouts(session: Session, portal_id: int, now: datetime) -> dict[str, list[str]]:
    """Store code -> ids of the open checkouts whose threshold has passed, oldest first."""
    due: dict[str, list[str]] = {}
    for store, order_id in session.execute(select(OpenCheckout.store_code, OpenCheckout.order_id).where(
            OpenCheckout.portal_id == portal_id, OpenCheckout.due_at <= now).order_by(OpenCheckout.due_at)):
        due.setdefault(store, []).append(order_id)
    return due
