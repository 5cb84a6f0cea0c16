"""Sync service: a batch of Moulin orders -> HubSpot.

One pipeline: load (a short read) -> plan (pure: `batch.build`, `planner`) ->
HubSpot calls with no transaction open (all idempotent upserts keyed by our
unique properties, so a crash or a retry re-sends without doubling) -> one
short write of links, dead letters and both read models. Deletions follow the
same shape in `deletions`.
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
from .batch import KIND, Built, Gone, PortalShape, SourceBatch, build, order_facts
from .aggregates import LeftContacts, load_left, plan_aggregates, save_aggregates
from .executor import execute
from .identity import resolve_contacts
from .links_back import OrderRecords
from .links_delivery import note_links
from .mapping import company_key, contact_stats
from .cart_sync import LoadedCarts, add_carts, carts_on, forget_stale_lines, load_carts
from .order_batch import OrderLinks, add_orders
from .order_target import load_order_lines, store_targets
from .pending import PendingLinks, load_pending, settle_pending
from .planner import DEAL_CONTACT, work_size
from .products import remember_catalogue
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


def _order_url(store: StoreInfo, order: Order) -> str | None:
    return order_link(store.order_url_template, order_id=order.id, order_number=order.number, store=order.store)


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
            "order_url": _order_url(store, order), "ordered_at": order.created_at}


@dataclass
class Loaded:
    """What one sync read from the database before planning: every read happens before HubSpot is called."""

    links: dict[str, dict]  # kind -> source key -> ObjectLink
    linked_lines: dict[str, set[str]]
    stats: dict[str, object]
    privacy_deleted: set[str]
    previous_contacts: dict[str, str]  # order key -> HubSpot contact id its deal was last linked to
    old_lines: dict[str, list]  # gone deal key -> its line links (orphaned if the deal is re-created)
    pending: PendingLinks
    left: LeftContacts  # contacts this batch's orders left (merged accounts, a changed email): recounted
    targets: tuple[bool, bool] = (True, False)  # (deals, HubSpot orders), `order_target.store_targets`
    order_lines: OrderLinks = field(default_factory=OrderLinks)
    carts: LoadedCarts | None = None  # None: this store sends no carts (`cart_sync.carts_on`)

    def live(self) -> dict[str, dict]:
        # Links as webhooks left them: a merged-away contact's link already names the survivor, a detached one
        # (hubspot_id NULL) is created like a new customer, a deleted one follows the contract in `build`.
        return {kind: {key: link for key, link in found.items() if link.hubspot_id and link.state == "synced"}
                for kind, found in self.links.items()}


def sync_orders(session: Session, crm, portal_id: int, setup, store: StoreInfo, batch: SourceBatch,
                now: datetime | None = None, errors: list[RecordError] = ()) -> dict:
    """Sync `batch.orders` (and their contacts, companies, products, line items). Returns a small report.

    load (a short read) -> plan (pure) -> HubSpot calls -> results written in `session`. The session is
    committed before the calls (the caller's earlier writes included), so no transaction is open while
    HubSpot answers and a webhook insert never waits on a sync; the caller commits the results together
    with its own bookkeeping (e.g. a checkpoint) when its block ends.
    """
    now = now or datetime.now(timezone.utc)
    orders = list({o.key: o for o in batch.orders}.values())  # the same order twice in a batch: newest read wins
    batch.orders = orders
    session.commit()  # what the caller wrote before (e.g. a portal set-up) is not held across the calls either
    # A customer Moulin sent as bad data is missing too: its own, more precise, error is recorded last and stays.
    errors = [*resolve_contacts(session, crm, portal_id, batch), *errors]
    facts = {o.key: (batch.contact_key_of(o), order_facts(o, batch)) for o in orders}
    loaded = _load(session, portal_id, setup, batch, facts, store_targets(session, portal_id, setup, store.settings))
    session.commit()  # the read ends here: nothing stays open across the HubSpot calls

    built, known = _plan(loaded, setup, store, batch, now)
    orphans, by_id, recounted = _plan_more(built, loaded, known, facts)
    outcome = execute(crm, built, known, by_id)

    def id_of(object_type: str, key: str | None) -> str | None:
        return (outcome.ids.get((object_type, key)) or known.get((object_type, key))) if key else None

    repo.save_order_facts(session, portal_id, facts)
    _save_links(session, portal_id, built, outcome, loaded.links)
    remember_catalogue(session, portal_id, store.code,
                       {key: hs_id for (t, key), hs_id in outcome.ids.items() if t == "products"},
                       {sku: product.id for sku, product in batch.products.items()})
    repo.delete_links(session, portal_id, "line_item",
                      [key for keys_ in built.stale_lines.values() for key in keys_] + orphans)
    repo.delete_links(session, portal_id, "order_line", built.stale_order_lines)
    forget_stale_lines(session, portal_id, built.stale_cart_lines)
    _save_record_errors(session, portal_id, batch, errors)
    settle_pending(session, portal_id, loaded.pending, outcome.linked_id_errors)
    save_aggregates(session, portal_id, loaded.left, recounted, outcome)
    repo.save_card_orders(session, [
        {**_card_row(portal_id, store, o, batch, id_of("contacts", facts[o.key][0]), id_of("deals", o.key),
                     loaded.privacy_deleted, built.stages.get(o.key)),
         **({"hubspot_order_id": id_of("orders", o.key)} if loaded.targets[1] else {})}  # switched off: the id stays
        for o in orders])
    _track_open_checkouts(session, portal_id, store, orders, built.stages)
    # Links back to the store and the marketing hooks: database rows only, written with the results.
    note_links(session, portal_id, store.code, [OrderRecords(
        o.id, (c := batch.customer_of(o)) and c.id, id_of("deals", o.key), id_of("contacts", facts[o.key][0]),
        id_of("companies", company_key(o.store, co, setup.company_identity)) if (co := batch.company_of(o)) else None,
        id_of("orders", o.key))
        for o in orders])
    marketable = [o for o in orders if (c := batch.customer_of(o)) is None or c.email not in loaded.privacy_deleted]
    record_checkouts(session, portal_id, store.code, store.settings, marketable, batch.customer_of, now)
    record_moulin_consent(session, portal_id, store.code, store.settings, [batch.customer_of(o) for o in marketable])
    return _report(portal_id, store, orders, built, outcome, errors)


def _plan(loaded: Loaded, setup, store: StoreInfo, batch: SourceBatch, now: datetime) -> tuple[Built, dict]:
    """The pure plan of every target from the one slice read: deals (`build`), then HubSpot orders (`add_orders`)
    and carts (`add_carts`).
    Returns it with the HubSpot ids already known, (object type, key) -> id."""
    live = loaded.live()
    object_type_of = {kind: object_type for object_type, kind in KIND.items()}
    known = {(object_type_of[kind], key): link.hubspot_id for kind, found in live.items()
             for key, link in found.items()}
    gone = {(kind, key): Gone(link.state, link.content_hash) for kind, found in loaded.links.items()
            for key, link in found.items() if link.state != "synced"}
    deals_on, orders_on = loaded.targets
    shape = PortalShape(setup.pipeline_id, setup.stage_ids, store.stage_mapping, now, store.settings,
                        setup.company_identity, deals_on, orders_on, setup.order_pipeline_id,
                        setup.order_stage_ids or {})
    hashes = {(kind, key): link.content_hash for kind, found in live.items() for key, link in found.items()}
    built = build(batch, shape, hashes, loaded.linked_lines, loaded.stats, gone, frozenset(loaded.privacy_deleted))
    if orders_on:  # the same slice, planned for the second target: its own writes, no second read of Moulin
        add_orders(built, batch, shape, hashes, gone, loaded.order_lines,
                   {o.key: _order_url(store, o) for o in batch.orders})
    if loaded.carts:  # the store's checkouts, as HubSpot carts beside its orders (`cart_sync`)
        add_carts(built, batch, shape, loaded.carts, orders_on=orders_on)
    return built, known


def _load(session: Session, portal_id: int, setup, batch: SourceBatch, facts: dict,
          targets: tuple[bool, bool]) -> Loaded:
    orders = batch.orders
    emails = {email for email, _ in facts.values() if email}
    # This batch's own facts count as they are now, whatever the table still says about these orders.
    stored = repo.facts_by_contact(session, portal_id, emails, fresh=facts)
    counted_under = repo.contact_keys_of_orders(session, portal_id, facts)
    left = {old for key, old in counted_under.items() if old and old != facts[key][0]} - emails
    keys = {"contact": emails, "deal": {o.key for o in orders},
            "company": {company_key(o.store, c, setup.company_identity) for o in orders if (c := batch.company_of(o))},
            "product": {line.sku for o in orders for line in o.lines if line.sku},
            "line_item": {f"{o.key}:{line.id}" for o in orders for line in o.lines}}
    if targets[1]:
        keys["order"] = {o.key for o in orders}
    links = {kind: repo.load_links(session, portal_id, kind, ks) for kind, ks in keys.items()}
    order_lines = OrderLinks()
    if targets[1]:
        links["order_line"], order_lines = load_order_lines(session, portal_id, orders, links["order"])
    carts = load_carts(session, portal_id, {o.key for o in orders}) if carts_on(session, portal_id, setup, targets[1]) else None
    if carts:
        links["cart"], links["cart_line"] = carts.carts, carts.lines
    linked_lines: dict[str, set[str]] = {}
    for order in orders:
        # A brand-new order has no line items in HubSpot yet: skip the query (most of a backfill).
        if order.key in links["deal"] or any(f"{order.key}:{line.id}" in links["line_item"] for line in order.lines):
            for link in repo.links_with_prefix(session, portal_id, "line_item", order.key + ":"):
                if link.state == "synced":
                    links["line_item"][link.source_key] = link
                    linked_lines.setdefault(order.key, set()).add(link.source_key)
    old_lines = {key: [line for line in repo.links_with_prefix(session, portal_id, "line_item", key + ":")
                       if line.hubspot_id]
                 for key, link in links["deal"].items() if link.state != "synced"}
    batch.reached = repo.reached_stages(session, portal_id, [(o.store, o.id) for o in orders])
    return Loaded(links, linked_lines, {e: contact_stats(f) for e, f in stored.items()},
                  repo.privacy_deleted_emails(session, portal_id, emails),
                  repo.card_contact_ids(session, portal_id, [(o.store, o.id) for o in orders]), old_lines,
                  load_pending(session, portal_id), load_left(session, portal_id, left, set(facts)), targets,
                  order_lines, carts)


def _plan_more(built: Built, loaded: Loaded, known: dict, facts: dict) -> tuple[list[str], dict, list[str]]:
    """Add removals, pending associations and recounts to the plan. Returns the orphaned line keys (their
    links go with the results), what to write by id, and the contacts recounted.

    A re-created deal gets new line items: the old ones still hang on the deleted deal (one parent each),
    so they are archived. Line items no longer in their order are archived. An order moved to another
    customer (or to a guest): its deal leaves the old contact, which is recounted.
    """
    work = built.work
    by_id = {ref: hs_id for ref, hs_id in known.items() if ref[0] == "contacts"}
    recounted = plan_aggregates(work, by_id, loaded.left)
    orphans = [line for key in work.upserts.get("deals", {}) for line in loaded.old_lines.get(key, ())]
    for line in orphans:
        work.archive("line_items", line.hubspot_id)
        known.pop(("line_items", line.source_key), None)
    for key in (key for keys_ in built.stale_lines.values() for key in keys_):
        work.archive("line_items", loaded.links["line_item"][key].hubspot_id)
    for order_key, old in loaded.previous_contacts.items():
        work.unassociate("deals", "contacts", order_key, old, facts[order_key][0])
        if loaded.targets[1]:
            work.unassociate("orders", "contacts", order_key, old, facts[order_key][0])
    for deal_id, contact_id in loaded.pending.pairs():
        work.associate_ids(DEAL_CONTACT, deal_id, contact_id)
    return [line.source_key for line in orphans], by_id, recounted


def _save_links(session: Session, portal_id: int, built: Built, outcome, links: dict[str, dict]) -> None:
    for object_type, inputs in built.work.upserts.items():
        kind = KIND[object_type]
        written = {}
        for key in inputs:
            ref = (object_type, key)
            if ref in outcome.ids and ref in built.hashes:  # recounts (`aggregates`) keep their own hashes
                digest = None if ref in outcome.incomplete else built.hashes[ref]
                written[key] = (outcome.ids[ref], digest, "synced")
        repo.save_links(session, portal_id, kind, written)
        repo.resolve_errors(session, portal_id, kind,
                            [k for k in written if (object_type, k) not in outcome.incomplete])
        repo.record_errors(session, portal_id, kind, {k: m for (t, k), m in outcome.errors.items() if t == object_type})
        repo.record_errors(session, portal_id, kind, {k: f"association: {m}" for (t, k), m in outcome.incomplete.items()
                                                      if t == object_type})
        record_sync_outcome(portal_id, kind, len(written), sum(1 for t, _ in outcome.errors if t == object_type))
    # A line item HubSpot refused may point at a product deleted there: re-send its product next time.
    repo.forget_hashes(session, portal_id, "product", {built.line_products[k] for t, k in outcome.errors
                                                       if t == "line_items" and k in built.line_products})
    for (object_type, key), digest in built.declined.items():
        link = links[KIND[object_type]][key]
        repo.save_links(session, portal_id, link.kind, {key: (link.hubspot_id, digest, link.state)})


def _report(portal_id: int, store: StoreInfo, orders: list[Order], built: Built, outcome,
            errors: list[RecordError]) -> dict:
    objects, associations, archives = work_size(built.work)
    report = {"orders": len(orders), "written": objects, "associations": {f"{k[0]}->{k[1]}": n for k, n in
                                                                           associations.items()},
              "archived": archives, "errors": len(outcome.errors), "incomplete": len(outcome.incomplete),
              "bad_records": len(errors)}
    log_event(logger, "sync.orders.done", portal_id=portal_id, store=store.code, **{k: report[k] for k in (
        "orders", "errors", "incomplete", "bad_records")})
    return report


def _save_record_errors(session: Session, portal_id: int, batch: SourceBatch, errors: list[RecordError]) -> None:
    # A Moulin record that was refused before and reads fine now: its error closes.
    repo.resolve_errors(session, portal_id, "moulin_record", _moulin_record_keys(batch))
    repo.record_errors(session, portal_id, "moulin_record", {f"{e.kind}:{e.record_id}": "; ".join(e.errors)
                                                             for e in errors})
    record_sync_outcome(portal_id, "moulin_record", 0, len(errors))


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


def apply_deletions(session: Session, crm, portal_id: int, deletions: list[Deletion]) -> dict:
    """Kept for callers that import it from here: deletions run in their own pipeline (`deletions`)."""
    from .deletions import apply_deletions as apply_planned_deletions
    return apply_planned_deletions(session, crm, portal_id, deletions)
