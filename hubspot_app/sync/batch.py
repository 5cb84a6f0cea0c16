"""One batch of Moulin orders -> the HubSpot writes it needs (`Work`). Pure.

Unchanged records are skipped by content hash: the hash covers the properties
sent plus the record's association ends, so a changed contact or company on an
order re-sends the deal and its associations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..moulin.records import Company, Customer, Order, OrderStatus, Product
from ..webhooks.contract import may_recreate
from . import mapping
from .planner import CONTACT_COMPANY, DEAL_COMPANY, DEAL_CONTACT, LINE_ITEM_DEAL, Work
from ..store_settings import StoreSettings
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
    reached: dict[str, str] = field(default_factory=dict)  # order key -> stage its deal last had from us
    # Set by `identity.resolve_contacts`: customer id -> contact key, and contact key -> the contact's customer
    # (several customers merged). Without them a customer is the contact of its own email.
    contact_keys: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, Customer] = field(default_factory=dict)

    def customer_of(self, order: Order) -> Customer | None:
        return self.customers.get(order.customer_id) if order.customer_id else None

    def contact_key_of(self, order: Order) -> str | None:
        customer = self.customer_of(order)
        return self.contact_keys.get(customer.id, customer.email) if customer else None

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
    settings: StoreSettings = field(default_factory=StoreSettings)  # the store's
    company_identity: str = "account"  # the portal's: what makes two accounts one company (mapping.company_key)


@dataclass
class Built:
    work: Work
    hashes: dict[tuple[str, str], str] = field(default_factory=dict)  # (object type, key) -> hash to store
    line_products: dict[str, str] = field(default_factory=dict)  # line key -> SKU
    stages: dict[str, str] = field(default_factory=dict)  # order key -> stage key Moulin says
    stale_lines: dict[str, list[str]] = field(default_factory=dict)  # order key -> line keys no longer in the order
    # Gone links the contract left gone, with the hash of what Moulin says now: storing it on the link means
    # "seen", so only a later change of the record counts as a change.
    declined: dict[tuple[str, str], str] = field(default_factory=dict)


def order_facts(order: Order, batch: SourceBatch) -> mapping.OrderFacts:
    skus = tuple(line.sku for line in order.lines if line.sku)
    products = [batch.products[s] for s in skus if s in batch.products]
    return mapping.OrderFacts(
        ordered_at=order.created_at, net_total=net_amount(order), counts=order.status not in NOT_PURCHASES,
        pickup_point=batch.pickup_points.get(order.pickup_point_id) if order.pickup_point_id else None,
        skus=skus, categories=tuple(p.product_type for p in products if p.product_type),
        brands=tuple(p.vendor for p in products if p.vendor), currency=order.currency)


@dataclass(frozen=True)
class Gone:
    """A link whose HubSpot object is not there to update: what the webhooks (or Moulin) left in it."""

    state: str  # "deleted_in_hubspot", "privacy_deleted", "archived"
    content_hash: str | None


def _state(gone: dict[tuple[str, str], Gone], kind: str, key: str) -> str | None:
    link = gone.get((kind, key))
    return link.state if link else None


def _digest(object_type: str, props: dict, extra: dict | None) -> str:
    if object_type == "contacts":
        return mapping.contact_hash(props, extra)
    return mapping.content_hash({**props, **(extra or {})})


def _may_write(shape: PortalShape, gone: dict[tuple[str, str], Gone], object_type: str, key: str,
               digest: str) -> bool:
    """The webhooks contract: may the sync (re-)create an object whose link says it is gone from HubSpot?"""
    kind = KIND[object_type]
    link = gone.get((kind, key))
    if link is None:
        return True
    changed = (mapping.customer_changed(link.content_hash, digest) if kind == "contact"
               else link.content_hash != digest)
    return may_recreate(link.state, kind, shape.settings, changed)


def _put(built: Built, hashes: dict, object_type: str, key: str, props: dict, extra: dict | None = None,
         gone: dict | None = None, shape: PortalShape | None = None) -> bool:
    """Queue an upsert unless the stored hash says HubSpot already has exactly this, or the contract forbids it."""
    digest = _digest(object_type, props, extra)
    if gone and shape and not _may_write(shape, gone, object_type, key, digest):
        built.declined[(object_type, key)] = digest
        return False
    built.hashes[(object_type, key)] = digest
    stored = hashes.get((KIND[object_type], key))
    if stored == digest:
        return False
    if object_type == "contacts" and stored and not mapping.contact_properties_changed(stored, digest):
        return False  # only the company it hangs on changed: `build` re-links it, the properties stay as they are
    built.work.upsert(object_type, key, props)
    return True


def build(batch: SourceBatch, shape: PortalShape, hashes: dict[tuple[str, str], str | None],
          linked_lines: dict[str, set[str]], stats: dict[str, mapping.ContactStats],
          gone: dict[tuple[str, str], Gone] | None = None, privacy_deleted: frozenset[str] = frozenset()) -> Built:
    """hashes: (kind, key) -> stored hash of the links HubSpot has; linked_lines: order key -> line keys HubSpot
    has today; gone: (kind, key) -> links whose object is gone; privacy_deleted: emails never to write again."""
    built = Built(Work())
    gone = gone or {}
    for order in batch.orders:
        email, company_key = _people(built, batch, order, shape, hashes, stats, gone, privacy_deleted)
        _products(built, batch, order, hashes, gone)
        if _deal(built, batch, order, shape, hashes, gone, email, company_key):
            _lines(built, order, hashes, gone, linked_lines)
    return built


def _people(built: Built, batch: SourceBatch, order: Order, shape: PortalShape, hashes: dict, stats: dict,
            gone: dict, privacy_deleted: frozenset[str]) -> tuple[str | None, str | None]:
    """The order's company and contact; returns the contact key the deal links to (None: none) and the company's."""
    customer, company = batch.customer_of(order), batch.company_of(order)
    email = batch.contact_key_of(order)
    email = email if email not in privacy_deleted else None
    company_key = mapping.company_key(order.store, company, shape.company_identity) if company else None
    if company:
        _put(built, hashes, "companies", company_key,
             mapping.company_properties(order.store, company, shape.company_identity))
    if not (customer and email):
        return email, company_key
    contact = batch.contacts.get(email, customer)
    # The contact's own company first: an order placed for another company must not flip it.
    own = batch.companies.get(contact.company_id) if contact.company_id else None
    contact_company = mapping.company_key(order.store, own, shape.company_identity) if own else company_key
    if own:
        _put(built, hashes, "companies", contact_company,
             mapping.company_properties(order.store, own, shape.company_identity))
    _put(built, hashes, "contacts", email, mapping.contact_properties(contact, stats.get(email, mapping.ContactStats())),
         {"_company": contact_company}, gone, shape)
    digest = built.hashes.get(("contacts", email))
    if contact_company and digest and digest != hashes.get(("contact", email)):
        built.work.associate(CONTACT_COMPANY, email, contact_company)
    if ("contacts", email) not in built.hashes:  # left deleted: the deal gets no contact
        email = None
    return email, company_key


def _products(built: Built, batch: SourceBatch, order: Order, hashes: dict, gone: dict) -> None:
    for line in order.lines:
        if not line.sku or ("products", line.sku) in built.hashes:
            continue
        product = batch.products.get(line.sku)
        if product:
            for sku, props in mapping.product_properties(product):
                _put(built, hashes, "products", sku, props)
        elif not hashes.get(("product", line.sku)) and _state(gone, "product", line.sku) != "archived":
            # Unknown to the catalogue and never synced (nor deleted in Moulin): a product from the line, once.
            _put(built, hashes, "products", line.sku, mapping.product_from_line(line))


def _deal(built: Built, batch: SourceBatch, order: Order, shape: PortalShape, hashes: dict, gone: dict,
          email: str | None, company_key: str | None) -> bool:
    """The order's deal and its links to contact and company. False when the deal stays deleted."""
    # A re-created contact has a new id: its deals must be attached again even if they did not change.
    recreated_contact = bool(email) and ("contact", email) in gone
    stage = stage_for(order, shape.now, shape.stage_mapping, reached=batch.reached.get(order.key),
                      threshold=shape.settings.abandon_after)
    built.stages[order.key] = stage
    deal = mapping.deal_properties(
        order, customer=batch.customer_of(order), company=batch.company_of(order), pipeline_id=shape.pipeline_id,
        stage_id=shape.stage_ids[stage], pickup_point=batch.pickup_points.get(order.pickup_point_id or ""))
    if shape.settings.hubspot_owns_stages and ("deal", order.key) in hashes:
        del deal["dealstage"]  # people own the stage of existing deals; a new deal still gets Moulin's
    deal_changed = _put(built, hashes, "deals", order.key, deal, {"_contact": email, "_company": company_key},
                        gone, shape)
    if email and (deal_changed or (recreated_contact and ("deals", order.key) in built.hashes)):
        built.work.associate(DEAL_CONTACT, order.key, email)
    if deal_changed and company_key:
        built.work.associate(DEAL_COMPANY, order.key, company_key)
    return ("deals", order.key) in built.hashes


def _lines(built: Built, order: Order, hashes: dict, gone: dict, linked_lines: dict[str, set[str]]) -> None:
    # A re-created deal has none of the line items: every line is sent and attached again.
    line_hashes = {} if ("deal", order.key) in gone else hashes
    current = set()
    for line in order.lines:
        key = mapping.line_key(order, line)
        current.add(key)
        if line.sku:
            built.line_products[key] = line.sku
        props = mapping.line_item_properties(order, line, hs_product_id=None)
        if _put(built, line_hashes, "line_items", key, props, {"_product": line.sku}):
            built.work.associate(LINE_ITEM_DEAL, key, order.key)
    stale = sorted(linked_lines.get(order.key, set()) - current)
    if stale:
        built.stale_lines[order.key] = stale
