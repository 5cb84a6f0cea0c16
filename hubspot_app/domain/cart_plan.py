"""A batch's checkouts -> the cart writes, added to the same plan as its deals and orders. Pure.

Open checkouts are upserted by `moulin_cart_key` with their line items and contact; a checkout that has a cart
and is no longer open gets its closing write once (`cart_mapping.closed_hash`) and, when the store's orders go
to HubSpot too, the cart -> order association. Deleted in HubSpot: the deal rules (`webhooks.contract`).
An order that never was an open checkout while we watched gets no cart: a cart is a checkout, not a receipt.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hubspot_app.domain.webhook_rules import may_recreate
from hubspot_app.domain.batch import Built, Gone, PortalShape, SourceBatch
from hubspot_app.domain.cart_mapping import (cart_line_key, cart_line_properties, cart_state, closed_cart_properties,
                           closed_hash, open_cart_properties)
from hubspot_app.domain.cart_schema import CART_CONTACT, CART_LINES, CART_ORDER, CART_TYPE, LINE_ITEM_CART
from hubspot_app.domain.content_hash import content_hash


@dataclass(frozen=True)
class CartLinks:
    """What the load found about this batch's carts."""

    hashes: dict[str, str | None] = field(default_factory=dict)  # order key -> stored hash of its live cart
    gone: dict[str, Gone] = field(default_factory=dict)  # order key -> cart link whose cart is gone from HubSpot
    lines: dict[str, set[str]] = field(default_factory=dict)  # order key -> its cart's line keys HubSpot has
    line_hashes: dict[str, str | None] = field(default_factory=dict)  # cart line key -> stored hash


def plan_carts(built: Built, batch: SourceBatch, shape: PortalShape, links: CartLinks, *,
               orders_on: bool) -> dict[str, list[str]]:
    """Add the carts' writes to `built`, after `batch.build` planned the contacts. Returns order key -> cart line
    keys no longer in the checkout (the caller archives them by id)."""
    stale: dict[str, list[str]] = {}
    for order in batch.orders:
        state = cart_state(order, shape.now, shape.settings.abandon_after)
        if state.closed and order.key not in links.hashes:
            continue  # no live cart to close: never one, or deleted in HubSpot (a closed cart is not re-created)
        # The contact as `batch.build` planned it: None when left deleted in HubSpot or privacy-deleted (then the
        # cart gets no contact, as the deal gets none); re-created, it has a new id to attach to.
        email, _, recreated_contact = built.ends.get(order.key, (None, None, False))
        if state.closed:
            props = closed_cart_properties(order, state, now=shape.now,
                                           was_abandoned=batch.reached.get(order.key) == "checkout_abandoned")
            if _put(built, links, shape, order.key, props, closed_hash(order, state)) and orders_on:
                built.work.associate(CART_ORDER, order.key, order.key)
            continue
        props = open_cart_properties(order, state, batch.customer_of(order))
        changed = _put(built, links, shape, order.key, props, content_hash({**props, "_contact": email}))
        if email and (changed or (recreated_contact and (CART_TYPE, order.key) in built.hashes)):
            built.work.associate(CART_CONTACT, order.key, email)
        if (CART_TYPE, order.key) in built.hashes:
            stale_lines = _plan_lines(built, links, order)
            if stale_lines:
                stale[order.key] = stale_lines
    return stale


def _put(built: Built, links: CartLinks, shape: PortalShape, key: str, props: dict, digest: str) -> bool:
    """Queue the cart's upsert unless HubSpot has exactly this, or a person deleted it there (the deal rules)."""
    gone = links.gone.get(key)
    if gone is not None:
        if not may_recreate(gone.state, "cart", shape.settings, gone.content_hash != digest):
            built.declined[(CART_TYPE, key)] = digest
            return False
    elif links.hashes.get(key) == digest:
        built.hashes[(CART_TYPE, key)] = digest
        return False
    built.hashes[(CART_TYPE, key)] = digest
    built.work.upsert(CART_TYPE, key, props)
    return True


def _plan_lines(built: Built, links: CartLinks, order) -> list[str]:
    recreated = order.key in links.gone  # a re-created cart has none of its line items
    current = set()
    for line in order.lines:
        key = cart_line_key(order, line)
        current.add(key)
        if line.sku:
            built.line_products[key] = line.sku
        props = cart_line_properties(order, line)
        digest = content_hash({**props, "_product": line.sku})
        built.hashes[(CART_LINES, key)] = digest
        if recreated or links.line_hashes.get(key) != digest:
            built.work.upsert(CART_LINES, key, props)
            built.work.associate(LINE_ITEM_CART, key, order.key)
    return sorted(links.lines.get(order.key, set()) - current)
