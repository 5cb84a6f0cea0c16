"""Sync service: a batch of Moulin orders -> HubSpot.

One pipeline: load (a short read) -> plan (pure: `batch.build`, `planner`) ->
HubSpot calls with no transaction open (all idempotent upserts keyed by our
unique properties, so a crash or a retry re-sends without doubling) -> one
short write of links, dead letters and both read models. Deletions follow the
same shape in `deletions`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from hubspot_app.domain.records import RecordError
from hubspot_app.domain.store_settings import StoreSettings
from hubspot_app.db import repository as repo
from hubspot_app.domain.batch import KIND, Built, Gone, PortalShape, SourceBatch, archive_orphans, build, order_facts
from .aggregates import LeftContacts, load_left, plan_aggregates
from .executor import Outcome, execute
from .identity import resolve_contacts
from hubspot_app.domain.mapping import company_key, contact_stats
from .cart_sync import LoadedCarts, add_carts, carts_on, load_carts
from hubspot_app.domain.order_batch import OrderLinks, add_orders
from .order_target import load_order_lines, store_targets
from .pending import PendingLinks, load_pending
from hubspot_app.domain.planner import DEAL_CONTACT
from .results import order_url, record


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
    # order key -> (contact key, facts) as stored: unchanged facts are not written again (a backfill's facts
    # pass stored them all already)
    counted: dict[str, tuple] = field(default_factory=dict)

    def live(self) -> dict[str, dict]:
        # Links as webhooks left them: a merged-away contact's link already names the survivor, a detached one
        # (hubspot_id NULL) is created like a new customer, a deleted one follows the contract in `build`.
        return {kind: {key: link for key, link in found.items() if link.hubspot_id and link.state == "synced"}
                for kind, found in self.links.items()}


class Phases:
    """Milliseconds spent in each step of the pipeline (load, plan, calls, write), for the report and the log."""

    def __init__(self) -> None:
        self.ms: dict[str, int] = {}
        self.restart()

    def restart(self) -> None:
        self._last = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.ms[name] = round((now - self._last) * 1000)
        self._last = now


@dataclass
class Planned:
    """One sync between its read and its write: what was loaded and what to send (the plan)."""

    portal_id: int
    store: StoreInfo
    setup: object
    batch: SourceBatch
    now: datetime
    errors: list[RecordError]
    facts: dict[str, tuple]  # order key -> (contact key, OrderFacts)
    loaded: Loaded
    built: Built
    known: dict[tuple[str, str], str]  # (object type, key) -> HubSpot id known before the calls
    by_id: dict[tuple[str, str], str]
    recounted: list[str]
    phases: Phases


def sync_orders(session: Session, crm, portal_id: int, setup, store: StoreInfo, batch: SourceBatch,
                now: datetime | None = None, errors: list[RecordError] = ()) -> dict:
    """Sync `batch.orders` (and their contacts, companies, products, line items). Returns a small report.

    load (a short read) -> plan (pure) -> HubSpot calls -> results written in `session`. The session is
    committed before the calls (the caller's earlier writes included), so no transaction is open while
    HubSpot answers and a webhook insert never waits on a sync; the caller commits the results together
    with its own bookkeeping (e.g. a checkpoint) when its block ends. The report's `phases_ms` says where
    the time went.
    """
    planned = plan_orders(session, crm, portal_id, setup, store, batch, now, errors)
    return record(session, planned, send(crm, planned))


def plan_orders(session: Session, crm, portal_id: int, setup, store: StoreInfo, batch: SourceBatch,
                now: datetime | None = None, errors: list[RecordError] = (), ahead: Planned | None = None) -> Planned:
    """The read and the plan. `ahead`: a plan whose calls are still in flight (a backfill plans its next
    slice meanwhile): what it will write counts as written, so this plan neither repeats nor undoes it."""
    now = now or datetime.now(timezone.utc)
    phases = Phases()
    orders = list({o.key: o for o in batch.orders}.values())  # the same order twice in a batch: newest read wins
    batch.orders = orders
    session.commit()  # what the caller wrote before (e.g. a portal set-up) is not held across the calls either
    # A customer Moulin sent as bad data is missing too: its own, more precise, error is recorded last and stays.
    errors = [*resolve_contacts(session, crm, portal_id, batch), *errors]
    session.commit()  # its writes (the customers seen) end here: on SQLite the plan's reads hold no write lock
    facts = {o.key: (batch.contact_key_of(o), order_facts(o, batch)) for o in orders}
    targets = store_targets(session, portal_id, setup, store.settings)
    loaded = _load(session, portal_id, setup, batch, facts, targets, ahead)
    session.commit()  # the read ends here: nothing stays open across the HubSpot calls
    phases.mark("load")
    known, gone, hashes = _views(loaded, ahead)
    built = _build_targets(batch, setup, store, now, loaded, hashes, gone)
    by_id, recounted = _plan_more(built, loaded, known, facts)
    phases.mark("plan")
    return Planned(portal_id, store, setup, batch, now, errors, facts, loaded, built, known, by_id, recounted, phases)


def _build_targets(batch: SourceBatch, setup, store: StoreInfo, now: datetime, loaded: Loaded, hashes: dict,
                   gone: dict) -> Built:
    """Pure: every target of the one slice read: deals (`build`), then HubSpot orders (`add_orders`) and carts
    (`add_carts`), each with its own writes and no second read of Moulin."""
    deals_on, orders_on = loaded.targets
    shape = PortalShape(setup.pipeline_id, setup.stage_ids, store.stage_mapping, now, store.settings,
                        setup.company_identity, deals_on, orders_on, setup.order_pipeline_id,
                        setup.order_stage_ids or {})
    built = build(batch, shape, hashes, loaded.linked_lines, loaded.stats, gone, frozenset(loaded.privacy_deleted))
    if orders_on:
        add_orders(built, batch, shape, hashes, gone, loaded.order_lines,
                   {o.key: order_url(store, o) for o in batch.orders})
    if loaded.carts:  # the store's checkouts, as HubSpot carts beside its orders (`cart_sync`)
        add_carts(built, batch, shape, loaded.carts, orders_on=orders_on)
    return built


def _views(loaded: Loaded, ahead: Planned | None) -> tuple[dict, dict, dict]:
    """The links as the plan reads them: ids known, links gone, hashes of what HubSpot has (or will have
    once `ahead`'s calls land)."""
    live = loaded.live()
    object_type_of = {kind: object_type for object_type, kind in KIND.items()}
    known = {(object_type_of[kind], key): link.hubspot_id for kind, found in live.items()
             for key, link in found.items()}
    hashes = {(kind, key): link.content_hash for kind, found in live.items() for key, link in found.items()}
    gone = {(kind, key): Gone(link.state, link.content_hash) for kind, found in loaded.links.items()
            for key, link in found.items() if link.state != "synced"}
    if ahead is not None:
        writing = {(KIND[t], key): digest for (t, key), digest in ahead.built.hashes.items()}
        # owners of the associations `ahead` sends for the chunk before it: written, their hash stored when it lands
        writing.update({(KIND[item.owner[0]], item.owner[1]): item.digest
                        for items in ahead.built.work.carried.values() for item in items if item.digest})
        hashes.update(writing)
        gone = {ref: link for ref, link in gone.items() if ref not in writing}
    return known, gone, hashes


def send(crm, planned: Planned, after: Outcome | None = None, carry: bool = False) -> Outcome:
    """The plan's HubSpot calls; no database work. `after`: the outcome of the plan this one was made
    `ahead` of: the ids it got are known now. `carry`: a chunk of a run, whose partly filled association
    batches the next chunk (or `overlap`'s last flush) sends."""
    if after is not None:
        for ref, hs_id in after.ids.items():
            planned.known.setdefault(ref, hs_id)
    planned.phases.restart()  # a plan made ahead waited for its turn: that is not its calls' time
    outcome = execute(crm, planned.built, planned.known, planned.by_id, carry=carry)
    planned.phases.mark("calls")
    return outcome


def _load(session: Session, portal_id: int, setup, batch: SourceBatch, facts: dict, targets: tuple[bool, bool],
          ahead: "Planned | None" = None) -> Loaded:
    orders = batch.orders
    emails = {email for email, _ in facts.values() if email}
    # This batch's own facts count as they are now, whatever the table still says about these orders; so do
    # those of a plan still in flight (its write comes after this read).
    fresh = {**ahead.facts, **facts} if ahead is not None else facts
    stored = repo.facts_by_contact(session, portal_id, emails, fresh=fresh)
    # A plan in flight writes its facts after this read: those of its orders are not known as stored.
    counted = {key: found for key, found in repo.stored_order_facts(session, portal_id, facts).items()
               if ahead is None or key not in ahead.facts}
    left = {old for key, (old, _) in counted.items() if old and old != facts[key][0]} - emails
    keys = {"contact": emails, "deal": {o.key for o in orders},
            # the contacts' own companies too: a contact is linked to its own, even on an order for another
            "company": {company_key(o.store, c, setup.company_identity) for o in orders
                        for c in (batch.company_of(o), batch.own_company_of(o)) if c},
            "product": _product_skus(batch),
            "line_item": {f"{o.key}:{line.id}" for o in orders for line in o.lines}}
    if targets[1]:
        keys["order"] = {o.key for o in orders}
    links = {kind: repo.load_links(session, portal_id, kind, ks) for kind, ks in keys.items()}
    order_lines = OrderLinks()
    if targets[1]:
        links["order_line"], order_lines = load_order_lines(session, portal_id, orders, links["order"])
    wants_carts = carts_on(session, portal_id, setup, targets[1])
    carts = load_carts(session, portal_id, {o.key for o in orders}) if wants_carts else None
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
                  _pending(session, portal_id, ahead), load_left(session, portal_id, left, set(facts)), targets,
                  order_lines, carts, counted)


def _product_skus(batch: SourceBatch) -> set[str]:
    """The SKUs the orders' products are written under: a line's own, and its product's and sibling variants'
    (`mapping.product_properties` writes them all), so their stored hashes skip the unchanged ones."""
    skus = set()
    for sku in {line.sku for o in batch.orders for line in o.lines if line.sku}:
        product = batch.products.get(sku)
        skus.update([sku, product.sku, *(v.sku for v in product.variants)] if product else [sku])
    return {sku for sku in skus if sku}


def _pending(session: Session, portal_id: int, ahead: "Planned | None") -> PendingLinks:
    """The open pending associations, less those a plan still in flight sends."""
    pending = load_pending(session, portal_id)
    if ahead is None:
        return pending
    return PendingLinks({row: pair for row, pair in pending.rows.items() if row not in ahead.loaded.pending.rows})


def _plan_more(built: Built, loaded: Loaded, known: dict, facts: dict) -> tuple[dict, list[str]]:
    """Add removals, pending associations and recounts to the plan. Returns what to write by id, and the
    contacts recounted.

    A re-created deal gets new line items: the old ones still hang on the deleted deal (one parent each),
    so they are archived (a re-created HubSpot order's or cart's are, in their own plans). Their ids are
    forgotten here: a fresh line item HubSpot refuses has no id, not the archived one. Line items no longer
    in their order are archived. An order moved to another customer (or to a guest): its deal leaves the
    old contact, which is recounted.
    """
    work = built.work
    by_id = {ref: hs_id for ref, hs_id in known.items() if ref[0] == "contacts"}
    recounted = plan_aggregates(work, by_id, loaded.left)
    for key in work.upserts.get("deals", {}):
        archive_orphans(built, "line_items", {line.source_key: line.hubspot_id
                                              for line in loaded.old_lines.get(key, ())})
    for object_type, keys in built.orphaned.items():
        for key in keys:
            known.pop((object_type, key), None)
    for key in (key for keys_ in built.stale_lines.values() for key in keys_):
        work.archive("line_items", loaded.links["line_item"][key].hubspot_id)
    for order_key, old in loaded.previous_contacts.items():
        work.unassociate("deals", "contacts", order_key, old, facts[order_key][0])
        if loaded.targets[1]:
            work.unassociate("orders", "contacts", order_key, old, facts[order_key][0])
    for deal_id, contact_id in loaded.pending.pairs():
        work.associate_ids(DEAL_CONTACT, deal_id, contact_id)
    return by_id, recounted
