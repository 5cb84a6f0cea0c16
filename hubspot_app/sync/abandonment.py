"""Abandoned checkouts, on time: the scheduled check of open checkouts whose threshold has passed.

Every sync gives an open cart or checkout a due time (`sync_open_checkouts`: its last
activity plus the store's `abandon_after_hours`, 24 h by default). A periodic job
every few minutes asks one indexed question, "which are due?", and re-syncs only
those, read again from Moulin: one still open turns "checkout abandoned" (its deal
carries the store's recovery URL for a HubSpot workflow to email); one paid since
moves on like any order. Nothing waits for the nightly reconciliation.
"""
from __future__ import annotations

import logging

from .. import extensions
from ..logs import log_event
from ..moulin.errors import MoulinNotFound
from ..moulin.ports import OrderSource
from hubspot_app.domain.records import Order, RecordError
from ..moulin.stores import list_stores
from hubspot_app import bootstrap
from hubspot_app.db import checkouts
from .orders import StoreInfo, sync_orders
from .setup import ensure_setup
from .sources import cached_catalogue

logger = logging.getLogger(__name__)


def portals_due() -> list[int]:
    """Portals with at least one checkout past its threshold (one indexed query, however many portals)."""
    with extensions.db().session() as session:
        return checkouts.portals_with_due_checkouts(session, bootstrap.now())


def abandon_due(portal_id: int) -> dict:
    """Re-sync this portal's due checkouts from Moulin, so each gets the stage it has now."""
    now = bootstrap.now()
    with extensions.db().session() as session:
        due = checkouts.due_checkouts(session, portal_id, now)
        stores = [s for s in list_stores(session, portal_id) if s.code in due]
    report = {"portal_id": portal_id, "checked": 0, "gone": 0, "errors": 0}
    crm = bootstrap.crm_for(portal_id)
    for store in stores:
        source = bootstrap.source_for(store)
        orders, errors, gone = _read_orders(source, due[store.code])
        report["checked"] += len(orders) + len(errors)
        report["gone"] += len(gone)
        batch, missing = cached_catalogue(store.id, source).batch(store.code, orders, source)
        setup = ensure_setup(crm, portal_id)
        with extensions.db().session() as session:
            # Deleted in Moulin (its deletion syncs on its own) or unreadable: no longer ours to watch.
            checkouts.track_open_checkouts(session, portal_id, store.code, {},
                                           [*gone, *(e.record_id for e in errors if e.record_id)])
            result = sync_orders(session, crm, portal_id, setup, StoreInfo.of(store), batch, now=now,
                                 errors=[*errors, *missing])
        report["errors"] += result["errors"] + result["bad_records"]
    log_event(logger, "sync.abandonment.done", **report)
    return report


def _read_orders(source: OrderSource, order_ids: list[str]) -> tuple[list[Order], list[RecordError], list[str]]:
    orders, errors, gone = [], [], []
    for order_id in order_ids:
        try:
            record = source.get_order(order_id)
        except MoulinNotFound:
            gone.append(order_id)
            continue
        (errors if isinstance(record, RecordError) else orders).append(record)
    return orders, errors, gone
