"""The sync's entry points inside the app: portal setup, the card's Refresh, push events.

Each opens its own units of work and builds its adapters through `bootstrap`;
jobs and views call these and nothing deeper.
"""
from __future__ import annotations

import logging

from .. import extensions
from ..db.models import MoulinEvent, MoulinStore
from ..logs import log_event
from ..moulin.errors import MoulinError, MoulinNotFound
from hubspot_app.domain.records import Deletion, RecordError, normalise_email
from ..moulin.stores import active_stores, is_paused
from hubspot_app import bootstrap
from .deletions import apply_deletions
from .orders import StoreInfo, sync_orders
from .setup import ensure_setup
from .sources import cached_catalogue

logger = logging.getLogger(__name__)


class MoulinDown(RuntimeError):
    """A store could not be read; nothing was changed. The message names the store."""


def setup_portal(portal_id: int, force: bool = False) -> dict:
    crm = bootstrap.crm_for(portal_id)
    row = ensure_setup(crm, portal_id, force=force)
    return {"portal_id": portal_id, "version": row.version, "pipeline_id": row.pipeline_id,
            "hubspot_calls": crm.calls}


def sync_customer_orders(portal_id: int, email: str) -> dict:
    """Pull one customer's orders from every active store of the portal and sync them now (the card's Refresh).

    Every store is read before anything is written, so a store that is down
    leaves its orders in HubSpot and the read model exactly as they were. One
    store down does not hold back the others: the report names it in
    `unavailable`; only when no store could be read is it a failure.
    """
    email = normalise_email(email)
    if not email:
        raise ValueError("email is required")
    with extensions.db().session() as session:
        stores = active_stores(session, portal_id)
    pulled, unavailable = [], []
    for store in stores:
        source = bootstrap.source_for(store)
        try:
            lookup = source.lookup_customer(email)
            catalogue = cached_catalogue(store.id, source)
        except MoulinError as error:
            log_event(logger, "sync.refresh.moulin_down", logging.WARNING, portal_id=portal_id, store=store.code,
                      error=str(error))
            unavailable.append((store, error))
            continue
        pulled.append((store, lookup, catalogue))
    if unavailable and not pulled:
        store, error = unavailable[0]
        raise MoulinDown(f"Moulin store {store.code!r} is unavailable: {error}") from error

    crm = bootstrap.crm_for(portal_id)
    report = {"email": email, "stores": len(stores), "orders": 0, "errors": 0,
              "unavailable": [{"store": store.code, "name": store.name} for store, _ in unavailable]}
    for store, lookup, catalogue in pulled:
        orders = [o for o in lookup.orders if o.store == store.code]
        batch, missing = catalogue.batch(store.code, orders, customers=lookup.customers)
        setup = ensure_setup(crm, portal_id)
        with extensions.db().session() as session:
            result = sync_orders(session, crm, portal_id, setup, StoreInfo.of(store), batch, now=bootstrap.now(),
                                 errors=[*lookup.errors, *missing])
        report["orders"] += result["orders"]
        report["errors"] += result["errors"] + result["bad_records"]
    report["hubspot_calls"] = crm.calls
    return report


def handle_moulin_event(event_row_id: int) -> dict:
    """Apply one pushed Moulin event. Idempotent: an event already processed is skipped.

    The event only says *what* changed; the record is read again from Moulin, so
    events arriving out of order or twice still leave HubSpot with the latest state.
    """
    db = extensions.db()
    with db.session() as session:
        event = session.get(MoulinEvent, event_row_id)
        if event is None or event.processed_at is not None:
            return {"skipped": True}
        store = session.get(MoulinStore, event.store_id)
        event_type, record_id, portal_id = event.type, event.record_id, event.portal_id
    try:
        result = _apply_event(event_type, record_id, store, portal_id)
    except Exception as error:
        with db.session() as session:
            session.get(MoulinEvent, event_row_id).error = f"{type(error).__name__}: {error}"[:2000]
        raise
    with db.session() as session:
        row = session.get(MoulinEvent, event_row_id)
        row.processed_at, row.error = bootstrap.now(), None
        # Applied: the record was read again from Moulin, so its copy in the inbox (personal data) is not kept.
        row.payload = {**row.payload, "data": {"id": record_id}}
    log_event(logger, "sync.event.done", portal_id=portal_id, event_row_id=event_row_id, type=event_type)
    return result


def _apply_event(event_type: str, record_id: str, store: MoulinStore, portal_id: int) -> dict:
    kind, _, action = event_type.partition(".")
    result: dict = {"type": event_type}
    if is_paused(store):  # not called while paused; the first poll after resuming reads every change since
        return {**result, "skipped": "store paused"}
    source, crm = bootstrap.source_for(store), bootstrap.crm_for(portal_id)
    if kind in ("order", "product") and action == "deleted":
        with extensions.db().session() as session:
            result.update(apply_deletions(session, crm, portal_id, [
                Deletion(kind=kind, id=record_id, store=store.code, deleted_at=bootstrap.now())]))
    elif kind == "order":
        try:
            order = source.get_order(record_id)
        except MoulinNotFound:  # deleted since: its own deletion event follows
            return {**result, "skipped": "order no longer exists"}
        errors = [order] if isinstance(order, RecordError) else []
        batch, missing = cached_catalogue(store.id, source).batch(store.code, [] if errors else [order], source)
        setup = ensure_setup(crm, portal_id)
        with extensions.db().session() as session:
            result.update(sync_orders(session, crm, portal_id, setup, StoreInfo.of(store), batch, now=bootstrap.now(),
                                      errors=[*errors, *missing]))
    elif kind == "customer" and action != "deleted":  # a deleted customer keeps its contact
        try:
            customer = source.get_customer(record_id)
        except MoulinNotFound:  # deleted since: its orders keep their contact (`identity`)
            return {**result, "skipped": "customer no longer exists"}
        if getattr(customer, "email", None):
            result.update(sync_customer_orders(portal_id, customer.email))
    # company.* and product.* changes reach HubSpot with the next order that uses them (content hashes).
    # A product's deletion is applied at once (above); it touches no order.
    return result
