"""The HubSpot-order target of one batch, added to the same `Built` as the deals. Pure.

`batch.build` reads the slice once and plans contacts, companies, products and (when the store sends deals) the
deals; `add_orders` plans, from the same slice and the same stages, each order's HubSpot Order with its own line
items (a line item has one parent: the deal's cannot be shared) and its associations to the contact, the company
and, when both targets are on, the deal. So a second target costs its own writes, never a second pass over Moulin.
Unchanged orders are skipped by content hash, like every other record.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hubspot_app.domain import mapping
from hubspot_app.domain.batch import Built, Gone, PortalShape, SourceBatch, archive_orphans, put_record
from hubspot_app.domain.order_mapping import order_line_key, order_properties
from hubspot_app.domain.planner import LINE_ITEM_ORDER, ORDER_COMPANY, ORDER_CONTACT, ORDER_DEAL
from hubspot_app.domain.schema import LINE_KEY


@dataclass(frozen=True)
class OrderLinks:
    """What HubSpot has of the batch's orders' own line items, from `object_links` (kind `order_line`)."""

    linked: dict[str, dict[str, str]] = field(default_factory=dict)  # order key -> order line key -> HubSpot id
    # gone order key -> {line key: HubSpot id} of the line items left on the order a person deleted: archived if
    # it is re-created
    orphaned: dict[str, dict[str, str]] = field(default_factory=dict)


def add_orders(built: Built, batch: SourceBatch, shape: PortalShape, hashes: dict[tuple[str, str], str | None],
               gone: dict[tuple[str, str], Gone], lines: OrderLinks, order_urls: dict[str, str | None]) -> None:
    """order_urls: order key -> the order's link in the store (`moulin.order_links`), or None."""
    for order in batch.orders:
        email, company_key, recreated_contact = built.ends[order.key]
        customer, company = batch.customer_of(order), batch.company_of(order)
        props = order_properties(
            order, customer=customer, company=company, pipeline_id=shape.order_pipeline_id,
            stage_id=shape.order_stage_ids[built.stages[order.key]],
            pickup_point=batch.pickup_points.get(order.pickup_point_id or ""), order_url=order_urls.get(order.key))
        deal = order.key if shape.deals and ("deals", order.key) in built.hashes else None
        changed = put_record(built, hashes, "orders", order.key, props,
                       {"_contact": email, "_company": company_key, "_deal": deal}, gone, shape)
        if ("orders", order.key) not in built.hashes:
            continue  # left deleted (the deal rule: `webhooks.contract.may_recreate`), and so are its line items
        if email and (changed or recreated_contact):
            built.work.associate(ORDER_CONTACT, order.key, email)
        if changed and company_key:
            built.work.associate(ORDER_COMPANY, order.key, company_key)
        if deal and (changed or ("deal", order.key) in gone):  # a re-created deal has a new id
            built.work.associate(ORDER_DEAL, order.key, deal)
        _put_lines(built, hashes, gone, lines, order)


def _put_lines(built: Built, hashes: dict, gone: dict, lines: OrderLinks, order) -> None:
    recreated = ("order", order.key) in gone
    if recreated:
        archive_orphans(built, "order_lines", lines.orphaned.get(order.key, {}))
    line_hashes = {} if recreated else hashes  # a re-created order has none of its line items
    current = set()
    for line in order.lines:
        key = order_line_key(mapping.line_key(order, line))
        current.add(key)
        if line.sku:
            built.line_products[key] = line.sku
        props = {**mapping.line_item_properties(order, line, hs_product_id=None), LINE_KEY: key}
        if put_record(built, line_hashes, "order_lines", key, props, {"_product": line.sku}):
            built.work.associate(LINE_ITEM_ORDER, key, order.key)
    linked = lines.linked.get(order.key, {})
    for key in sorted(set(linked) - current):
        built.work.archive("order_lines", linked[key])
        built.stale_order_lines.append(key)
