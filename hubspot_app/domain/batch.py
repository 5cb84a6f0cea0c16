"""One batch of Moulin orders -> the HubSpot writes it needs (`Work`). Pure.

Unchanged records are skipped by content hash: the hash covers the properties
sent plus the record's association ends, so a changed contact or company on an
order re-sends the deal and its associations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hubspot_app.domain.records import Company, Customer, Order, OrderStatus, Product
from hubspot_app.domain.webhook_rules import may_recreate
from hubspot_app.domain import mapping
from hubspot_app.domain.content_hash import content_hash
from hubspot_app.domain.planner import CONTACT_COMPANY, DEAL_COMPANY, DEAL_CONTACT, LINE_ITEM_DEAL, Work
from hubspot_app.domain.store_settings import StoreSettings
from hubspot_app.domain.stages import net_amount, stage_for

KIND = {"contacts": "contact", "companies": "company", "products": "product", "deals": "deal",
        "line_items": "line_item", "orders": "order", "order_lines": "order_line", "carts": "cart",
        "cart_lines": "cart_line"}
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

    def contact_of(self, order: Order) -> Customer | None:
        """The order's customer as its contact: merged with the customers sharing its address, if any."""
        customer = self.customer_of(order)
        return self.contacts.get(self.contact_key_of(order), customer) if customer else None

    def own_company_of(self, order: Order) -> Company | None:
        """The company the order's contact hangs on, which may not be the order's (placed for another one)."""
        contact = self.contact_of(order)
        return self.companies.get(contact.company_id) if contact and contact.company_id else None


@dataclass(frozen=True)
class PortalShape:
    pipeline_id: str
    stage_ids: dict[str, str]
    stage_mapping: dict[str, str]
    now: datetime
    settings: StoreSettings = field(default_factory=StoreSettings)  # the store's
    company_identity: str = "account"  # the portal's: what makes two accounts one company (mapping.company_key)
    deals: bool = True  # the store's targets (`StoreSettings.targets`): deals, HubSpot orders, or both
    orders: bool = False
    order_pipeline_id: str | None = None
    order_stage_ids: dict[str, str] = field(default_factory=dict)


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
    # order key -> (contact key, company key, contact re-created): the ends `order_batch` links a HubSpot order to
    ends: dict[str, tuple[str | None, str | None, bool]] = field(default_factory=dict)
    stale_order_lines: list[str] = field(default_factory=list)  # HubSpot orders' line item keys archived
    stale_cart_lines: list[str] = field(default_factory=list)  # cart line keys no longer in their checkout
    # planned type -> keys of the line items archived with their re-created parent (`archive_orphans`)
    orphaned: dict[str, list[str]] = field(default_factory=dict)


def archive_orphans(built: Built, object_type: str, orphans: dict[str, str]) -> None:
    """The line items left on a parent deleted in HubSpot and now re-created (key -> HubSpot id): archived, since
    a line item has one parent and cannot move to the new one. Their keys are the fresh line items' keys too, so
    their links go before the fresh ones are saved: a fresh line item HubSpot refuses must not leave the old id
    and hash standing, or the next sync would take the line as written."""
    for key, hubspot_id in sorted(orphans.items()):
        built.work.archive(object_type, hubspot_id)
        built.orphaned.setdefault(object_type, []).append(key)


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
    if object_type == "deals":
        # Two parts, the properties and the association ends: a deal whose amount changed is re-written,
        # but its contact and company are associated again only when an end moved (`_deal_ends_changed`).
        return content_hash(props)[:32] + content_hash(extra or {})[:32]
    return content_hash({**props, **(extra or {})})


def _same(object_type: str, stored: str | None, digest: str, props: dict, extra: dict | None) -> bool:
    """Does HubSpot already have exactly this? A deal link may still hold the one-part hash of the properties
    and ends together (before the ends had a part of their own): it counts, so no deal is re-written for it."""
    if stored == digest:
        return True
    return object_type == "deals" and stored is not None and stored == content_hash({**props, **(extra or {})})


def _deal_ends_changed(stored: str | None, digest: str) -> bool:
    # A one-part hash from before tells nothing about the ends: they are associated again, once.
    return not stored or stored[32:] != digest[32:]


def _may_write(shape: PortalShape, gone: dict[tuple[str, str], Gone], object_type: str, key: str,
               digest: str, props: dict, extra: dict | None) -> bool:
    """The webhooks contract: may the sync (re-)create an object whose link says it is gone from HubSpot?"""
    kind = KIND[object_type]
    link = gone.get((kind, key))
    if link is None:
        return True
    changed = (mapping.customer_changed(link.content_hash, digest) if kind == "contact"
               else not _same(object_type, link.content_hash, digest, props, extra))
    return may_recreate(link.state, kind, shape.settings, changed)


def put_record(built: Built, hashes: dict, object_type: str, key: str, props: dict, extra: dict | None = None,
         gone: dict | None = None, shape: PortalShape | None = None) -> bool:
    """Queue an upsert unless the stored hash says HubSpot already has exactly this, or the contract forbids it."""
    digest = _digest(object_type, props, extra)
    if gone and shape and not _may_write(shape, gone, object_type, key, digest, props, extra):
        built.declined[(object_type, key)] = digest
        return False
    built.hashes[(object_type, key)] = digest
    stored = hashes.get((KIND[object_type], key))
    if _same(object_type, stored, digest, props, extra):
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
        email, company_key = _put_parties(built, batch, shape, hashes, stats, gone, order, privacy_deleted)
        _put_products(built, batch, hashes, gone, order)
        stage = stage_for(order, shape.now, shape.stage_mapping, reached=batch.reached.get(order.key),
                          threshold=shape.settings.abandon_after)
        built.stages[order.key] = stage
        # A re-created contact has a new id: its deals (and orders) must be attached again even if unchanged.
        built.ends[order.key] = (email, company_key, bool(email) and ("contact", email) in gone)
        if shape.deals and _put_deal(built, batch, shape, hashes, gone, order, stage):
            _put_lines(built, hashes, gone, linked_lines, order)
    return built


def _put_parties(built: Built, batch: SourceBatch, shape: PortalShape, hashes: dict, stats: dict, gone: dict,
                 order: Order, privacy_deleted: frozenset[str]) -> tuple[str | None, str | None]:
    """The order's company and contact; returns the contact key its deal names (None: no contact) and the
    company key."""
    customer, company = batch.customer_of(order), batch.company_of(order)
    email = batch.contact_key_of(order)
    email = email if email not in privacy_deleted else None
    company_key = mapping.company_key(order.store, company, shape.company_identity) if company else None
    if company:
        put_record(built, hashes, "companies", company_key,
                   mapping.company_properties(order.store, company, shape.company_identity))
    if not (customer and email):
        return email, company_key
    contact = batch.contact_of(order)
    # The contact's own company first: an order placed for another company must not flip it.
    own = batch.own_company_of(order)
    contact_company = mapping.company_key(order.store, own, shape.company_identity) if own else company_key
    if own:
        put_record(built, hashes, "companies", contact_company,
                   mapping.company_properties(order.store, own, shape.company_identity))
    put_record(built, hashes, "contacts", email,
               mapping.contact_properties(contact, stats.get(email, mapping.ContactStats())),
               {"_company": contact_company}, gone, shape)
    digest, stored = built.hashes.get(("contacts", email)), hashes.get(("contact", email))
    # Only a new contact, or one whose own data or company changed: new totals alone keep the link.
    if contact_company and digest and (not stored or stored[:32] != digest[:32]):
        built.work.associate(CONTACT_COMPANY, email, contact_company)
    if ("contacts", email) not in built.hashes:  # left deleted: the deal gets no contact
        return None, company_key
    return email, company_key


def _put_products(built: Built, batch: SourceBatch, hashes: dict, gone: dict, order: Order) -> None:
    for line in order.lines:
        if not line.sku or ("products", line.sku) in built.hashes:
            continue
        product = batch.products.get(line.sku)
        if product:
            for sku, props in mapping.product_properties(product):
                put_record(built, hashes, "products", sku, props)
        elif not hashes.get(("product", line.sku)) and _state(gone, "product", line.sku) != "archived":
            # Unknown to the catalogue and never synced (nor deleted in Moulin): a product from the line, once.
            put_record(built, hashes, "products", line.sku, mapping.product_from_line(line))


def _put_deal(built: Built, batch: SourceBatch, shape: PortalShape, hashes: dict, gone: dict, order: Order,
              stage: str) -> bool:
    """The order's deal and its associations; False when the deal stays deleted (and so do its line items)."""
    email, company_key, recreated_contact = built.ends[order.key]
    deal = mapping.deal_properties(
        order, customer=batch.customer_of(order), company=batch.company_of(order), pipeline_id=shape.pipeline_id,
        stage_id=shape.stage_ids[stage], pickup_point=batch.pickup_points.get(order.pickup_point_id or ""))
    if shape.settings.hubspot_owns_stages and ("deal", order.key) in hashes:
        del deal["dealstage"]  # people own the stage of existing deals; a new deal still gets Moulin's
    changed = put_record(built, hashes, "deals", order.key, deal, {"_contact": email, "_company": company_key},
                         gone, shape)
    if ("deals", order.key) not in built.hashes:
        return False
    # `hashes` holds live links only: a new or re-created deal has none, so it is associated.
    ends_moved = changed and _deal_ends_changed(hashes.get(("deal", order.key)), built.hashes[("deals", order.key)])
    if email and (ends_moved or recreated_contact):
        built.work.associate(DEAL_CONTACT, order.key, email)
    if ends_moved and company_key:
        built.work.associate(DEAL_COMPANY, order.key, company_key)
    return True


def _put_lines(built: Built, hashes: dict, gone: dict, linked_lines: dict[str, set[str]], order: Order) -> None:
    # A re-created deal has none of the line items: every line is sent and attached again.
    line_hashes = {} if ("deal", order.key) in gone else hashes
    current = set()
    for line in order.lines:
        key = mapping.line_key(order, line)
        current.add(key)
        if line.sku:
            built.line_products[key] = line.sku
        props = mapping.line_item_properties(order, line, hs_product_id=None)
        if put_record(built, line_hashes, "line_items", key, props, {"_product": line.sku}):
            built.work.associate(LINE_ITEM_DEAL, key, order.key)
    stale = sorted(linked_lines.get(order.key, set()) - current)
    if stale:
        built.stale_lines[order.key] = stale
