"""The write side of a sync: one short write of what HubSpot answered (links, read models, dead letters).

The caller commits it, with its own bookkeeping (e.g. a checkpoint). No HubSpot call happens here.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..attribution.service import record_checkouts
from ..consent.service import record_moulin_consent
from ..logs import log_event
from ..metrics import record_sync_outcome
from hubspot_app.domain.order_links import order_link
from hubspot_app.domain.records import Order, RecordError
from hubspot_app.db import repository as repo
from hubspot_app.db.checkouts import track_open_checkouts
from .aggregates import save_aggregates
from hubspot_app.domain.batch import KIND, Built, SourceBatch
from .cart_sync import forget_stale_lines
from .executor import Outcome
from hubspot_app.domain.links_back import OrderRecords
from .links_delivery import note_links
from hubspot_app.domain.mapping import company_key
from .pending import settle_pending
from hubspot_app.domain.planner import LINE_TYPES, work_size
from .products import remember_catalogue
from hubspot_app.domain.stages import abandons_at, is_open_checkout

if TYPE_CHECKING:
    from .orders import Planned, StoreInfo

logger = logging.getLogger(__name__)


def record(session: Session, planned: Planned, outcome: Outcome) -> dict:
    """The one short write of a sync's results (links, read models, dead letters); the caller commits."""
    p, built, loaded, batch, facts = planned, planned.built, planned.loaded, planned.batch, planned.facts
    portal_id, store, orders = p.portal_id, p.store, batch.orders

    def id_of(object_type: str, key: str | None) -> str | None:
        return (outcome.ids.get((object_type, key)) or p.known.get((object_type, key))) if key else None

    repo.save_order_facts(session, portal_id, {key: found for key, found in facts.items()
                                               if loaded.counted.get(key) != found})
    # Before the links are saved: an orphaned line item's key is also its fresh line item's (`archive_orphans`).
    for object_type, keys in built.orphaned.items():
        repo.delete_links(session, portal_id, KIND[object_type], keys)
    repo.delete_links(session, portal_id, "line_item", [key for keys_ in built.stale_lines.values() for key in keys_])
    _save_links(session, portal_id, built, outcome, loaded.links)
    remember_catalogue(session, portal_id, store.code,
                       {key: hs_id for (t, key), hs_id in outcome.ids.items() if t == "products"},
                       {sku: product.id for sku, product in batch.products.items()})
    repo.delete_links(session, portal_id, "order_line", built.stale_order_lines)
    forget_stale_lines(session, portal_id, built.stale_cart_lines)
    _save_record_errors(session, portal_id, batch, p.errors)
    settle_pending(session, portal_id, loaded.pending, outcome.linked_id_errors)
    save_aggregates(session, portal_id, loaded.left, p.recounted, outcome)
    repo.save_card_orders(session, [
        _card_row(portal_id, store, o, batch, id_of("contacts", facts[o.key][0]), id_of("deals", o.key),
                  loaded.privacy_deleted, built.stages.get(o.key),
                  (id_of("orders", o.key),) if loaded.targets[1] else ())
        for o in orders])
    _track_open_checkouts(session, portal_id, store, orders, built.stages)
    _note_links_and_marketing(session, p, id_of)
    p.phases.mark("write")
    return _report(portal_id, store, orders, built, outcome, p.errors, p.phases.ms)


def _note_links_and_marketing(session: Session, p: Planned, id_of) -> None:
    """Links back to the store and the marketing hooks: database rows only, written with the results."""
    batch, orders, store = p.batch, p.batch.orders, p.store
    note_links(session, p.portal_id, store.code, [OrderRecords(
        o.id, (c := batch.customer_of(o)) and c.id, id_of("deals", o.key), id_of("contacts", p.facts[o.key][0]),
        id_of("companies", company_key(o.store, co, p.setup.company_identity)) if (co := batch.company_of(o)) else None,
        id_of("orders", o.key))
        for o in orders])
    marketable = [o for o in orders if (c := batch.customer_of(o)) is None or c.email not in p.loaded.privacy_deleted]
    record_checkouts(session, p.portal_id, store.code, store.settings, marketable, batch.customer_of, p.now)
    record_moulin_consent(session, p.portal_id, store.code, store.settings,
                          [batch.customer_of(o) for o in marketable])


def order_url(store: StoreInfo, order: Order) -> str | None:
    """The order's page in the store's back office, from the store's link template (None: no template)."""
    return order_link(store.order_url_template, order_id=order.id, order_number=order.number, store=order.store)


def _card_row(portal_id: int, store: StoreInfo, order: Order, batch: SourceBatch, contact_id, deal_id,
              privacy_deleted: set[str], stage: str | None, order_id: tuple = ()) -> dict:
    """One card row; `order_id` is `(HubSpot order id,)` when the store writes orders (switched off: it stays)."""
    email = batch.contact_key_of(order)
    email = email if email not in privacy_deleted else None
    return {"portal_id": portal_id, "store_code": order.store, "order_id": order.id, "order_number": order.number,
            "contact_email": email, "hubspot_contact_id": contact_id,
            "hubspot_deal_id": deal_id, "status": order.status.value, "stage": stage, "currency": order.currency,
            "total": order.total, "refunded": order.refunded_amount,
            "item_count": sum(line.quantity for line in order.lines),
            "pickup_point": batch.pickup_points.get(order.pickup_point_id or ""),
            "order_url": order_url(store, order),
            "ordered_at": order.created_at, **({"hubspot_order_id": order_id[0]} if order_id else {})}

def _save_links(session: Session, portal_id: int, built: Built, outcome, links: dict[str, dict]) -> None:
    deferred = outcome.deferred
    for object_type, inputs in built.work.upserts.items():
        kind = KIND[object_type]
        written = {}
        for key in inputs:
            ref = (object_type, key)
            if ref in outcome.ids and ref in built.hashes:  # recounts (`aggregates`) keep their own hashes
                # a carried association's owner gets its hash once the next chunk sends it (`_complete_links`)
                digest = None if ref in outcome.incomplete or ref in deferred else built.hashes[ref]
                written[key] = (outcome.ids[ref], digest, "synced")
        repo.save_links(session, portal_id, kind, written)
        repo.resolve_errors(session, portal_id, kind,
                            [k for k in written if (object_type, k) not in outcome.incomplete])
        repo.record_errors(session, portal_id, kind, {k: m for (t, k), m in outcome.errors.items() if t == object_type})
        _record_association_errors(session, portal_id, object_type, outcome)
        record_sync_outcome(portal_id, kind, len(written), sum(1 for t, _ in outcome.errors if t == object_type))
    # A line item HubSpot refused may point at a product deleted there: re-send its product next time.
    repo.forget_hashes(session, portal_id, "product", {built.line_products[k] for t, k in outcome.errors
                                                       if t in LINE_TYPES and k in built.line_products})
    for (object_type, key), digest in built.declined.items():
        link = links[KIND[object_type]][key]
        repo.save_links(session, portal_id, link.kind, {key: (link.hubspot_id, digest, link.state)})
    _complete_links(session, portal_id, outcome)


def _record_association_errors(session: Session, portal_id: int, object_type: str, outcome) -> None:
    """Records of this type written whose associations did not all land: they keep no hash, the next sync retries."""
    repo.record_errors(session, portal_id, KIND[object_type], {
        key: f"association: {message}" for (t, key), message in outcome.incomplete.items() if t == object_type})


def record_carried(session: Session, portal_id: int, outcome: Outcome) -> None:
    """The write of a run's last carried associations, sent on their own (`overlap._flush`)."""
    _complete_links(session, portal_id, outcome)
    for object_type in {owner[0] for owner in outcome.incomplete}:
        _record_association_errors(session, portal_id, object_type, outcome)


def _complete_links(session: Session, portal_id: int, outcome) -> None:
    """The owners of associations carried from the chunk before, all landed now: their hashes are stored."""
    by_kind: dict[str, dict[str, str]] = {}
    for (object_type, key), digest in outcome.completed.items():
        if digest:
            by_kind.setdefault(KIND[object_type], {})[key] = digest
    for kind, digests in by_kind.items():
        repo.complete_hashes(session, portal_id, kind, digests)


def _report(portal_id: int, store: StoreInfo, orders: list[Order], built: Built, outcome,
            errors: list[RecordError], phases_ms: dict[str, int]) -> dict:
    objects, associations, archives = work_size(built.work)
    report = {"orders": len(orders), "written": objects, "associations": {f"{k[0]}->{k[1]}": n for k, n in
                                                                           associations.items()},
              "archived": archives, "errors": len(outcome.errors), "incomplete": len(outcome.incomplete),
              "bad_records": len(errors), "phases_ms": phases_ms}
    log_event(logger, "sync.orders.done", portal_id=portal_id, store=store.code, **{k: report[k] for k in (
        "orders", "errors", "incomplete", "bad_records", "phases_ms")})
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
    track_open_checkouts(session, portal_id, store.code, due, [o.id for o in orders])
