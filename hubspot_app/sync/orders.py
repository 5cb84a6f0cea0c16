"""Sync services: a batch of Moulin orders -> HubSpot, and deletions.

One call = one unit of work: HubSpot writes first (all idempotent upserts keyed
by our unique properties, so a crash or a retry re-sends without doubling),
then links, dead letters and both read models in the caller's transaction.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from ..attribution.service import record_checkouts
from ..consent.service import record_moulin_consent
from ..logs import log_event
from ..metrics import record_sync_outcome
from ..moulin.order_links import order_link
from ..moulin.records import Deletion, Order, RecordError
from ..store_settings import StoreSettings
from . import repository as repo
from .batch import KIND, Gone, PortalShape, SourceBatch, build, order_facts
from .executor import execute
from .identity import resolve_contacts
from .links_back import OrderRecords
from .links_delivery import note_links
from .mapping import company_key, contact_stats, stats_properties, stats_sent_alone
from .pending import drain_pending_associations
from .planner import work_size
from .products import apply_product_deletions, remember_catalogue
from .stages import abandons_at, is_open_checkout

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreInfo:
    """What the sync needs from a `MoulinStore` row."""

    code: str
    stage_mapping: dict
    order_url_template: str | None = None
    settings: StoreSettings = field(default_factory=StoreSettings)

    @classmethod
    def of(cls, store) -> "StoreInfo":
        return cls(store.code, dict(store.stage_mapping or {}), store.order_url_template, StoreSettings.of(store.settings))


def _card_row(portal_id: int, store: StoreInfo, order: Order, batch: SourceBatch, contact_id, deal_id,
              privacy_deleted: set[str], stage: str | None) -> dict:
    email = batch.contact_key_of(order)
    email = email if email not in privacy_deleted else None
    return {"portal_id": portal_id, "store_code": order.store, "order_id": order.id, "order_number": order.number,
            "contact_email": email, "hubspot_contact_id": contact_id,
            "hubspot_deal_id": deal_id, "status": order.status.value, "stage": stage, "currency": order.currency,
            "total": order.total, "refunded": order.refunded_amount,
            "item_count": sum(line.quantity for line in order.lines),
            "pickup_point": batch.pickup_points.get(order.pickup_point_id or ""),
            "order_url": order_link(store.order_url_template, order_id=order.id, order_number=order.number,
                                    store=order.store),
            "ordered_at": order.created_at}


def sync_orders(session: Session, crm, portal_id: int, setup, store: StoreInfo, batch: SourceBatch,
                now: datetime | None = None, errors: list[RecordError] = ()) -> dict:
    """Sync `batch.orders` (and their contacts, companies, products, line items). Returns a small report."""
    now = now or datetime.now(timezone.utc)
    drain_pending_associations(session, crm, portal_id)
    orders = list({o.key: o for o in batch.orders}.values())  # the same order twice in a batch: newest read wins
    batch.orders = orders
    # A customer Moulin sent as bad data is missing too: its own, more precise, error is recorded last and stays.
    errors = [*resolve_contacts(session, crm, portal_id, batch), *errors]
    facts = {o.key: (batch.contact_key_of(o), order_facts(o, batch)) for o in orders}
    counted_under = repo.contact_keys_of_orders(session, portal_id, facts)
    repo.save_order_facts(session, portal_id, facts)
    session.flush()
    emails = {email for email, _ in facts.values() if email}
    stats = {e: contact_stats(f) for e, f in repo.facts_by_contact(session, portal_id, emails).items()}

    keys = {"contact": emails, "deal": {o.key for o in orders},
            "company": {company_key(o.store, c, setup.company_identity) for o in orders if (c := batch.company_of(o))},
            "product": {line.sku for o in orders for line in o.lines if line.sku},
            "line_item": {f"{o.key}:{line.id}" for o in orders for line in o.lines}}
    links = {kind: repo.load_links(session, portal_id, kind, ks) for kind, ks in keys.items()}
    linked_lines: dict[str, set[str]] = {}
    for order in orders:
        # A brand-new order has no line items in HubSpot yet: skip the query (most of a backfill).
        if order.key in links["deal"] or any(f"{order.key}:{line.id}" in links["line_item"] for line in order.lines):
            for link in repo.links_with_prefix(session, portal_id, "line_item", order.key + ":"):
                if link.state == "synced":
                    links["line_item"][link.source_key] = link
                    linked_lines.setdefault(order.key, set()).add(link.source_key)

    object_type_of = {kind: object_type for object_type, kind in KIND.items()}
    # Links as webhooks left them: a merged-away contact's link already names the survivor, a detached one
    # (hubspot_id NULL) is created like a new customer, a deleted one follows the contract in `build`.
    live = {kind: {key: link for key, link in found.items() if link.hubspot_id and link.state == "synced"}
            for kind, found in links.items()}
    hashes = {(kind, key): link.content_hash for kind, found in live.items() for key, link in found.items()}
    known = {(object_type_of[kind], key): link.hubspot_id for kind, found in live.items()
             for key, link in found.items()}
    gone = {(kind, key): Gone(link.state, link.content_hash) for kind, found in links.items()
            for key, link in found.items() if link.state != "synced"}
    privacy_deleted = repo.privacy_deleted_emails(session, portal_id, emails)
    shape = PortalShape(setup.pipeline_id, setup.stage_ids, store.stage_mapping, now, store.settings,
                        setup.company_identity)
    batch.reached = repo.reached_stages(session, portal_id, [(o.store, o.id) for o in orders])
    built = build(batch, shape, hashes, linked_lines, stats, gone, frozenset(privacy_deleted))
    _drop_orphan_lines(session, crm, portal_id, [k for k in built.work.upserts.get("deals", {}) if ("deal", k) in gone],
                       known)
    stale = [key for keys_ in built.stale_lines.values() for key in keys_]
    outcome = execute(crm, built, known, {"line_items": [links["line_item"][k].hubspot_id for k in stale]})

    for object_type, inputs in built.work.upserts.items():
        kind = KIND[object_type]
        written = {}
        for key in inputs:
            ref = (object_type, key)
            if ref in outcome.ids:
                digest = None if ref in outcome.incomplete else built.hashes[ref]
                written[key] = (outcome.ids[ref], digest, "synced")
        repo.save_links(session, portal_id, kind, written)
        repo.resolve_errors(session, portal_id, kind,
                            [k for k in written if (object_type, k) not in outcome.incomplete])
        repo.record_errors(session, portal_id, kind, {k: m for (t, k), m in outcome.errors.items() if t == object_type})
        repo.record_errors(session, portal_id, kind, {k: f"association: {m}" for (t, k), m in outcome.incomplete.items()
                                                      if t == object_type})
        record_sync_outcome(portal_id, kind, len(written), sum(1 for t, _ in outcome.errors if t == object_type))
    remember_catalogue(session, portal_id, store.code,
                       {key: hs_id for (t, key), hs_id in outcome.ids.items() if t == "products"},
                       {sku: product.id for sku, product in batch.products.items()})
    # A line item HubSpot refused may point at a product deleted there: re-send its product next time.
    repo.forget_hashes(session, portal_id, "product", {built.line_products[k] for t, k in outcome.errors
                                                       if t == "line_items" and k in built.line_products})
    for (object_type, key), digest in built.declined.items():
        link = links[KIND[object_type]][key]
        repo.save_links(session, portal_id, link.kind, {key: (link.hubspot_id, digest, link.state)})
    repo.delete_links(session, portal_id, "line_item", stale)
    # A Moulin record that was refused before and reads fine now: its error closes.
    repo.resolve_errors(session, portal_id, "moulin_record", _moulin_record_keys(batch))
    repo.record_errors(session, portal_id, "moulin_record", {f"{e.kind}:{e.record_id}": "; ".join(e.errors)
                                                             for e in errors})
    record_sync_outcome(portal_id, "moulin_record", 0, len(errors))

    def id_of(object_type: str, key: str | None) -> str | None:
        return (outcome.ids.get((object_type, key)) or known.get((object_type, key))) if key else None

    # An order moved to another customer (or to a guest): its deal leaves the old contact.
    previous = repo.card_contact_ids(session, portal_id, [(o.store, o.id) for o in orders])
    moved = [(deal_id, old) for o in orders if (old := previous.get(o.key)) and (deal_id := id_of("deals", o.key))
             and old != id_of("contacts", facts[o.key][0])]
    if moved:
        crm.unassociate("deals", "contacts", moved)
    repo.save_card_orders(session, [
        _card_row(portal_id, store, o, batch, id_of("contacts", facts[o.key][0]), id_of("deals", o.key),
                  privacy_deleted, built.stages.get(o.key))
        for o in orders])
    _track_open_checkouts(session, portal_id, store, orders, built.stages)
    # Orders that left a contact (merged accounts, a changed email): the contact they left is recounted.
    _refresh_contact_stats(session, crm, portal_id, {old for key, old in counted_under.items()
                                                     if old and old != facts[key][0]} - emails)
    note_links(session, portal_id, store.code, [OrderRecords(
        o.id, (c := batch.customer_of(o)) and c.id, id_of("deals", o.key), id_of("contacts", facts[o.key][0]),
        id_of("companies", company_key(o.store, co, setup.company_identity)) if (co := batch.company_of(o)) else None)
        for o in orders])
    marketable = [o for o in orders if (c := batch.customer_of(o)) is None or c.email not in privacy_deleted]
    record_checkouts(session, portal_id, store.code, store.settings, marketable, batch.customer_of, now)
    record_moulin_consent(session, portal_id, store.code, store.settings, [batch.customer_of(o) for o in marketable])
    objects, associations, archives = work_size(built.work)
    report = {"orders": len(orders), "written": objects, "associations": {f"{k[0]}->{k[1]}": n for k, n in
                                                                           associations.items()},
              "archived": archives, "errors": len(outcome.errors), "incomplete": len(outcome.incomplete),
              "bad_records": len(errors)}
    log_event(logger, "sync.orders.done", portal_id=portal_id, store=store.code, **{k: report[k] for k in (
        "orders", "errors", "incomplete", "bad_records")})
    return report


def _moulin_record_keys(batch: SourceBatch) -> list[str]:
    """The `moulin_record` error keys (as `RecordError` names them) of every record this batch used."""
    keys = {f"order:{o.id}" for o in batch.orders}
    for order in batch.orders:
        customer, company = batch.customer_of(order), batch.company_of(order)
        keys.update([f"customer:{customer.id}"] if customer else [])
        keys.update([f"company:{company.id}"] if company else [])
        keys.update(f"product:{p.id}" for line in order.lines if (p := batch.products.get(line.sku or "")))
    return sorted(keys)


def _track_open_checkouts(session: Session, portal_id: int, store: StoreInfo, orders: list[Order],
                          stages: dict[str, str]) -> None:
    """Open checkouts get a due time, so the scheduled check marks them abandoned on time; the rest are closed."""
    threshold = store.settings.abandon_after
    due = {o.id: abandons_at(o, threshold) for o in orders
           if is_open_checkout(o) and stages.get(o.key) != "checkout_abandoned"}
    repo.track_open_checkouts(session, portal_id, store.code, due, [o.id for o in orders])


def _drop_orphan_lines(session: Session, crm, portal_id: int, reborn_deals: list[str], known: dict) -> None:
    """A re-created deal gets new line items: the old ones still hang on the deleted deal (one parent each)."""
    orphans = [link for key in reborn_deals for link in repo.links_with_prefix(session, portal_id, "line_item",
                                                                               key + ":") if link.hubspot_id]
    crm.archive("line_items", [link.hubspot_id for link in orphans])
    repo.delete_links(session, portal_id, "line_item", [link.source_key for link in orphans])
    for link in orphans:
        known.pop(("line_items", link.source_key), None)


def apply_deletions(session: Session, crm, portal_id: int, deletions: list[Deletion]) -> dict:
    """Order deleted -> its deal and line items archived. Customer deleted -> contact kept (HubSpot convention).

    Product deleted -> archived or marked discontinued (`sync.products`).
    """
    products = apply_product_deletions(session, crm, portal_id,
                                       [d for d in deletions if d.kind == "product" and d.store])
    archived = 0
    emails = set()
    for deletion in deletions:
        if deletion.kind != "order" or not deletion.store:
            continue
        key = f"{deletion.store}:{deletion.id}"
        deal = repo.load_links(session, portal_id, "deal", [key]).get(key)
        lines = [l for l in repo.links_with_prefix(session, portal_id, "line_item", key + ":") if l.hubspot_id]
        if lines:
            crm.archive("line_items", [l.hubspot_id for l in lines])
        if deal is not None and deal.hubspot_id and deal.state == "synced":
            crm.archive("deals", [deal.hubspot_id])
            archived += 1
        repo.delete_links(session, portal_id, "line_item", [l.source_key for l in lines])
        if deal is not None:
            repo.save_links(session, portal_id, "deal", {key: (deal.hubspot_id, None, "archived")})
        if email := repo.forget_order(session, portal_id, deletion.store, deletion.id):
            emails.add(email)
    session.flush()
    _refresh_contact_stats(session, crm, portal_id, emails)
    return {"deals_archived": archived, "contacts_updated": len(emails), **products}


def _refresh_contact_stats(session: Session, crm, portal_id: int, emails: set[str]) -> None:
    """After deletions: send the recomputed aggregates alone (nothing else of the contact changed).

    Only contacts HubSpot still has, by id: a deleted contact must not come back for an order's deletion.
    """
    links = {e: l for e, l in repo.load_links(session, portal_id, "contact", emails).items()
             if l.hubspot_id and l.state == "synced"}
    if not links:
        return
    facts = repo.facts_by_contact(session, portal_id, links)
    by_id: dict[str, str] = {}  # two emails merged into one contact: one write
    for email in sorted(links):
        by_id.setdefault(links[email].hubspot_id, email)
    inputs = [(hs_id, stats_properties(contact_stats(facts[email]))) for hs_id, email in by_id.items()]
    result = crm.update("contacts", inputs)
    repo.record_errors(session, portal_id, "contact", {by_id[i]: m for i, m in result.errors.items()})
    repo.save_links(session, portal_id, "contact", {
        e: (l.hubspot_id, stats_sent_alone(l.content_hash), "synced") for e, l in links.items()
        if l.hubspot_id in result.ids})

