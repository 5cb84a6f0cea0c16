"""One batch of Moulin orders -> the HubSpot writes it needs (`Work`). Pure.

Unchanged records are skipped by content hash: the hash covers the properties
sent plus the record's association ends, so a changed contact or company on an
order re-sends the deal and its associations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..moulin.records import Company, Customer, Order, OrderStatus, Product
from . import mapping
from .planner import CONTACT_COMPANY, DEAL_COMPANY, DEAL_CONTACT, LINE_ITEM_DEAL, Work
from .stages import net_amount, stage_for

KIND = {"contacts": "contact", "companies": "company", "products": "product", "deals": "deal",
        "line_items": "line_item"}
NOT_PURCHASES = {OrderStatus.CART, OrderStatus.CHECKOUT, OrderStatus.CANCELLED}


@dataclass
class SourceBatch:
    store: str
    orders: list[Order]
    customers: dict[str, Customer] = field(default_factory=dict)
    companies: dict[str, Company] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)  # by SKU, variants' SKUs included
    pickup_points: dict[str, str] = field(default_factory=dict)  # id -> name

    def customer_of(self, order: Order) -> Customer | None:
        return self.customers.get(order.customer_id) if order.customer_id else None

    def company_of(self, order: Order) -> Company | None:
        customer = self.customer_of(order)
        company_id = order.company_id or (customer.company_id if customer else None)
        return self.companies.get(company_id) if company_id else None


@dataclass(frozen=True)
class PortalShape:
    pipeline_id: str
    stage_ids: dict[str, str]
    stage_mapping: dict[str, str]
    now: datetime


@dataclass
class Built:
    work: Work
    hashes: dict[tuple[str, str], str] = field(default_factory=dict)  # (object type, key) -> hash to store
    line_products: dict[str, str] = field(default_factory=dict)  # line key -> SKU
    stale_lines: dict[str, list[str]] = field(default_factory=dict)  # order key -> line keys no longer in the order


def order_facts(order: Order, batch: SourceBatch) -> mapping.OrderFacts:
    skus = tuple(line.sku for line in order.lines if line.sku)
    products = [batch.products[s] for s in skus if s in batch.products]
    return mapping.OrderFacts(
        ordered_at=order.created_at, net_total=net_amount(order), counts=order.status not in NOT_PURCHASES,
        pickup_point=batch.pickup_points.get(order.pickup_point_id) if order.pickup_point_id else None,
        skus=skus, categories=tuple(p.product_type for p in products if p.product_type),
        brands=tuple(p.vendor for p in products if p.vendor))


def _put(built: Built, hashes: dict, object_type: str, key: str, props: dict, extra: dict | None = None) -> bool:
    """Queue an upsert unless the stored hash says HubSpot already has exactly this."""
    digest = mapping.content_hash({**props, **(extra or {})})
    built.hashes[(object_type, key)] = digest
    if hashes.get((KIND[object_type], key)) == digest:
        return False
    built.work.upsert(object_type, key, props)
    return True


def build(batch: SourceBatch, shape: PortalShape, hashes: dict[tuple[str, str], str | None],
          linked_lines: dict[str, set[str]], stats: dict[str, mapping.ContactStats]) -> Built:
    """hashes: (kind, key) -> stored hash; linked_lines: order key -> line keys HubSpot has today."""
    built = Built(Work())
    for order in batch.orders:
        customer, company = batch.customer_of(order), batch.company_of(order)
        email = customer.email if customer else None
        company_key = mapping.company_key(order.store, company) if company else None

        if company:
            _put(built, hashes, "companies", company_key, mapping.company_properties(order.store, company))
        if customer and email:
            contact_changed = _put(built, hashes, "contacts", email,
                                   mapping.contact_properties(customer, stats.get(email, mapping.ContactStats())),
                                   {"_company": company_key})
            if contact_changed and company_key:
                built.work.associate(CONTACT_COMPANY, email, company_key)

        for line in order.lines:
            if not line.sku or ("products", line.sku) in built.hashes:
                continue
            product = batch.products.get(line.sku)
            if product:
                for sku, props in mapping.product_properties(product):
                    _put(built, hashes, "products", sku, props)
            elif not hashes.get(("product", line.sku)):
                # Unknown to the catalogue and never synced: a product from the line, once.
                _put(built, hashes, "products", line.sku, mapping.product_from_line(line))

        stage = stage_for(order, shape.now, shape.stage_mapping)
        deal = mapping.deal_properties(
            order, customer=customer, company=company, pipeline_id=shape.pipeline_id,
            stage_id=shape.stage_ids[stage], pickup_point=batch.pickup_points.get(order.pickup_point_id or ""))
        if _put(built, hashes, "deals", order.key, deal, {"_contact": email, "_company": company_key}):
            if email:
                built.work.associate(DEAL_CONTACT, order.key, email)
            if company_key:
                built.work.associate(DEAL_COMPANY, order.key, company_key)

        current = set()
        for line in order.lines:
            key = mapping.line_key(order, line)
            current.add(key)
            if line.sku:
                built.line_products[key] = line.sku
            props = mapping.line_item_properties(order, line, hs_product_id=None)
            if _put(built, hashes, "line_items", key, props, {"_product": line.sku}):
                built.work.associate(LINE_ITEM_DEAL, key, order.key)
        stale = sorted(linked_lines.get(order.key, set()) - current)
        if stale:
            built.stale_lines[order.key] = stale
    return built
