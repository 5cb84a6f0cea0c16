"""Deletions in Moulin -> HubSpot, in the sync's one pipeline: load, plan, calls with no transaction open, write.

Order deleted -> its deal, its HubSpot order, its cart and their line items archived (whatever
the store's target is now: what a past target wrote goes too), its contact's
aggregates recomputed. Customer deleted -> contact kept (HubSpot convention). Product
deleted -> archived or marked discontinued (`products`). Every write is a
planned batch: N vanished orders cost about ceil(N/100) calls per object kind.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hubspot_app.domain.records import Deletion
from hubspot_app.db import repository as repo
from .aggregates import LeftContacts, load_left, plan_aggregates, save_aggregates
from hubspot_app.domain.batch import Built
from .cart_sync import forget_deleted_carts, load_carts, plan_cart_deletions
from .executor import execute
from hubspot_app.domain.planner import Work
from .products import ProductRemoval, load_product_deletions, plan_product_deletions, save_product_deletions


@dataclass
class DeletionsLoaded:
    products: list[ProductRemoval]
    deals: dict  # order key -> deal link (if any)
    lines: dict[str, list]  # order key -> its line item links with an id
    orders: dict  # order key -> HubSpot order link (if any)
    order_lines: dict[str, list]  # order key -> its HubSpot order's line item links with an id
    emails: set[str]  # the deleted orders' contacts: recounted
    left: LeftContacts


def apply_deletions(session: Session, crm, portal_id: int, deletions: list[Deletion]) -> dict:
    """Apply deletions; the session is committed before HubSpot is called and holds the results after."""
    keys = sorted({f"{d.store}:{d.id}" for d in deletions if d.kind == "order" and d.store})
    session.commit()
    loaded = _load(session, portal_id, keys, [d for d in deletions if d.kind == "product" and d.store])
    carts = load_carts(session, portal_id, set(keys))
    session.commit()  # nothing stays open across the HubSpot calls

    built, by_id = Built(Work()), {}
    for key in keys:
        for line in loaded.lines[key]:
            built.work.archive("line_items", line.hubspot_id)
        for line in loaded.order_lines[key]:
            built.work.archive("order_lines", line.hubspot_id)
        for object_type, link in (("deals", loaded.deals.get(key)), ("orders", loaded.orders.get(key))):
            if link is not None and link.hubspot_id and link.state == "synced":
                built.work.archive(object_type, link.hubspot_id)
    plan_cart_deletions(built.work, carts)
    plan_product_deletions(built.work, by_id, loaded.products)
    recounted = plan_aggregates(built.work, by_id, loaded.left)
    outcome = execute(crm, built, {}, by_id)

    for key in keys:
        repo.delete_links(session, portal_id, "line_item", [line.source_key for line in loaded.lines[key]])
        repo.delete_links(session, portal_id, "order_line", [line.source_key for line in loaded.order_lines[key]])
        for kind, link in (("deal", loaded.deals.get(key)), ("order", loaded.orders.get(key))):
            if link is not None:
                repo.save_links(session, portal_id, kind, {key: (link.hubspot_id, None, "archived")})
        store, order_id = key.split(":", 1)
        repo.forget_order(session, portal_id, store, order_id)
    forget_deleted_carts(session, portal_id, carts)
    save_aggregates(session, portal_id, loaded.left, recounted, outcome)
    products = save_product_deletions(session, portal_id, loaded.products, outcome)
    archived = {t: sum(1 for kind, _ in outcome.archived if kind == t) for t in ("deals", "orders")}
    return {"deals_archived": archived["deals"], "orders_archived": archived["orders"],
            "contacts_updated": len(loaded.emails), **products}


def _load(session: Session, portal_id: int, keys: list[str], products: list[Deletion]) -> DeletionsLoaded:
    emails = {key for key, _ in repo.stored_order_facts(session, portal_id, keys).values() if key}
    orders = repo.load_links(session, portal_id, "order", keys)

    def lines(kind: str, of: list[str]) -> dict[str, list]:
        return {key: [line for line in repo.links_with_prefix(session, portal_id, kind, key + ":") if line.hubspot_id]
                for key in of}
    return DeletionsLoaded(
        load_product_deletions(session, portal_id, products), repo.load_links(session, portal_id, "deal", keys),
        lines("line_item", keys), orders, {**dict.fromkeys(keys, []), **lines("order_line", list(orders))},
        emails, load_left(session, portal_id, emails, set(keys)))
