"""Nightly reconciliation: compare HubSpot with Moulin and heal the differences.

For every Moulin order, the deal and the HubSpot order (for the targets the store
writes) are read back (100 per call, by `moulin_order_key`) and compared (`drift.py`).
One whose stage, amount or pipeline differ from what Moulin says has its stored hash
cleared (and its own line items'), so the same pass re-sends it in place. One missing
(deleted in HubSpot while no webhook reached us) has its link marked `vanished`, so the
same pass re-creates it like a re-created deal of the webhooks contract: its old line
items, still on the deleted record, archived first, then fresh ones. Deals and orders
whose order Moulin no longer has are archived. Open checkouts age
into "checkout abandoned" here too, as a backstop: the scheduled check
(`sync.abandonment`) marks them within minutes of their threshold.

Only `synced` links are healed this way: a deal a person deleted while we listened
is missing on purpose, and the webhooks contract (`sync.batch.build`) decides
whether it comes back. With `stage_source == "hubspot"` the stage is theirs,
so a different stage is not drift. Pending associations go with each chunk's plan (`pending`).
"""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import select

from .. import extensions
from ..db.models import ObjectLink
from ..db.one_of import one_of
from ..logs import log_event
from ..moulin.errors import MoulinError
from hubspot_app.domain.records import Deletion
from ..moulin.stores import active_stores
from hubspot_app import bootstrap
from hubspot_app.db import repository as repo
from .backfill import CHUNK, _chunks
from .deletions import apply_deletions
from .drift import Drift, drifted_deals, drifted_orders
from .order_target import store_targets
from hubspot_app.domain.mapping import line_key
from hubspot_app.domain.order_mapping import order_line_key
from hubspot_app.domain.webhook_rules import SYNCED, VANISHED
from .orders import StoreInfo, sync_orders
from .setup import ensure_setup
from .sources import Catalogue

logger = logging.getLogger(__name__)


def reconcile(portal_id: int, *, chunk: int = CHUNK,
              store_budget: Callable[[], Callable[[], bool]] = lambda: lambda: True) -> dict:
    """Each store on its own: one that cannot be read is an open error `store / reconcile:<code>` and the others
    are still compared. `store_budget()` gives each store its `keep_going`, asked after each chunk (the job's
    lease and the store's time limit), so an endless store cannot take the others' night: a store whose pass
    stops early archives nothing, since what it did not read is not gone."""
    crm = bootstrap.crm_for(portal_id)
    db = extensions.db()
    with db.session() as session:
        stores = active_stores(session, portal_id)
    report = {"portal_id": portal_id, "orders": 0, "healed": 0, "archived": 0, "stopped": [], "unavailable": []}
    for store in stores:
        key = f"reconcile:{store.code}"
        try:
            complete = _reconcile_store(portal_id, store, crm, chunk, store_budget(), report)
        except MoulinError as error:
            log_event(logger, "sync.reconcile.store_failed", logging.WARNING, portal_id=portal_id,
                      store=store.code, error=str(error))
            report["unavailable"].append(store.code)
            with db.session() as session:
                repo.record_errors(session, portal_id, "store", {key: f"{type(error).__name__}: {error}"})
            continue
        with db.session() as session:
            if complete:
                repo.resolve_errors(session, portal_id, "store", [key])
            else:
                report["stopped"].append(store.code)
                repo.record_errors(session, portal_id, "store", {
                    key: "reconcile stopped at its time limit: orders it did not reach were not compared"})
    report["hubspot_calls"] = crm.calls
    log_event(logger, "sync.reconcile.done", **report)
    return report


def _reconcile_store(portal_id: int, store, crm, chunk: int, keep_going: Callable[[], bool], report: dict) -> bool:
    """Compare and heal one store's orders; archive the deals of orders it no longer has. False if stopped early."""
    db = extensions.db()
    info, source = StoreInfo.of(store), bootstrap.source_for(store)
    catalogue = Catalogue.load(bootstrap.bulk_source_for(store))  # every customer, before the first order
    seen: set[str] = set()
    for orders, errors in _chunks(source.iter_orders(), chunk):
        batch, missing = catalogue.batch(store.code, orders, source)
        seen.update(o.key for o in orders)
        setup = ensure_setup(crm, portal_id)
        with db.session() as session:
            batch.reached = repo.reached_stages(session, portal_id, [(o.store, o.id) for o in orders])
            deals_on, orders_on = store_targets(session, portal_id, setup, info.settings)
        # read from HubSpot with no transaction open; only the targets the store writes are compared
        deals = drifted_deals(crm, batch, setup, info) if deals_on else Drift.none()
        hs_orders = drifted_orders(crm, batch, setup, info) if orders_on else Drift.none()
        with db.session() as session:
            healed = _mark(session, portal_id, orders, deals, ("deal", "line_item"), lambda key: key)
            healed += _mark(session, portal_id, orders, hs_orders, ("order", "order_line"), order_line_key)
        with db.session() as session:
            sync_orders(session, crm, portal_id, setup, info, batch, now=bootstrap.now(),
                        errors=[*errors, *missing])
        report["orders"] += len(orders)
        report["healed"] += healed
        if not keep_going():
            return False
    with db.session() as session:
        gone = sorted({key for key in session.scalars(select(ObjectLink.source_key).where(
            ObjectLink.portal_id == portal_id, ObjectLink.kind.in_(("deal", "order")),
            ObjectLink.state.in_((SYNCED, VANISHED)),
            ObjectLink.source_key.startswith(f"{store.code}:", autoescape=True))) if key not in seen})
        if gone:
            result = apply_deletions(session, crm, portal_id, [
                Deletion(kind="order", id=key.split(":", 1)[1], store=store.code, deleted_at=bootstrap.now())
                for key in gone])
            report["archived"] += result["deals_archived"] + result["orders_archived"]
    return True


def _mark(session, portal_id: int, orders, drift: Drift, kinds: tuple[str, str], own_key) -> int:
    """Make the coming sync heal what drifted; returns how many records it will re-send. A changed record is
    re-sent in place with all its line items: forget what we believed HubSpot had. A vanished one is re-created:
    its link says so, and the sync archives the line items left on the deleted record and makes fresh ones."""
    changed = _links(session, portal_id, kinds[0], drift.changed)
    lines = {own_key(line_key(o, line)) for o in orders if o.key in drift.changed for line in o.lines}
    for link in [*changed, *_links(session, portal_id, kinds[1], lines)]:
        link.content_hash = None
    vanished = _links(session, portal_id, kinds[0], drift.vanished)
    for link in vanished:
        link.state = VANISHED
    return len(changed) + len(vanished)


def _links(session, portal_id: int, kind: str, keys: set[str]) -> list[ObjectLink]:
    """The `synced` links of these keys: a gone one's hash means "seen" to the webhooks contract, and one a
    person deleted stays deleted."""
    # Links without a HubSpot id are left out here, not in SQL: beside the key list, `hubspot_id IS NOT NULL` made
    # SQLite read every link of the kind through the HubSpot id's index (as in `repository._card_values`).
    found = session.scalars(select(ObjectLink).where(
        ObjectLink.portal_id == portal_id, ObjectLink.kind == kind, ObjectLink.state == SYNCED,
        one_of(session, ObjectLink.source_key, sorted(keys)))) if keys else []
    return [link for link in found if link.hubspot_id is not None]
