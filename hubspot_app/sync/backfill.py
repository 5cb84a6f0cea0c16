"""Backfill (all history) and polling (`updated_since`), checkpointed per store.

Moulin lists orders by `updated_at`, so after each committed chunk the
checkpoint keeps the newest `updated_at` seen; a run killed at any point
resumes from there. Orders at the boundary are read again, but their content
hashes match and they cost no HubSpot call: nothing lost, nothing doubled.
A chunk holds up to `CHUNK` orders: a crash redoes little, and the partly
filled association batches a chunk leaves are carried into the next one.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Callable, Iterable

from .. import extensions
from ..jobs.bulk import SliceBudget
from ..logs import log_event
from ..moulin.errors import MoulinError
from hubspot_app.domain.records import Order, RecordError
from ..moulin.stores import active_stores
from hubspot_app import bootstrap
from hubspot_app.db import repository as repo
from .deletions import apply_deletions
from .orders import StoreInfo
from .overlap import Run, sync_chunks
from .setup import ensure_setup
from .sources import Catalogue, cached_catalogue

logger = logging.getLogger(__name__)

# Orders per chunk (unit of work and checkpoint). Two chunks are alive at once (one planned while the other's calls
# are in flight): 1,500 keeps a 100k backfill's memory under 200 MB, and each chunk edge leaves ~2.7 partly
# filled batches, so smaller chunks cost calls (docs/sync.md, "Benchmarks": 1,000 / 1,500 / 2,000 measured).
CHUNK = 1500
FACTS = "backfill_facts"  # the checkpoint of the backfill's first, local pass
DEFAULT_PAGE_SIZE = 100  # Moulin's page size when a source does not say its own


def _chunks(records: Iterable, size: int) -> Iterable[tuple[list[Order], list[RecordError]]]:
    orders, errors = [], []
    for record in records:
        (errors if isinstance(record, RecordError) else orders).append(record)
        if len(orders) >= size:
            yield orders, errors
            orders, errors = [], []
    if orders or errors:
        yield orders, errors


def _record_facts(portal_id: int, store_code: str, source, catalogue: Catalogue, since, chunk: int,
                  budget: SliceBudget | None) -> bool:
    """First pass, local only: every order's contribution to its contact's aggregates. True when complete.

    With all of them known up front, a contact's properties are final the first
    time it is written, so a repeat customer whose orders span many chunks is
    upserted once instead of once per chunk. The pass has its own checkpoint, so
    a slice that runs out of budget resumes it where it stopped.
    """
    read = 0
    for orders, _ in _chunks(source.iter_orders(updated_since=since), chunk):
        facts = catalogue.order_facts(store_code, orders)
        with extensions.db().session() as session:
            repo.save_order_facts(session, portal_id, facts)
            cp = repo.checkpoint(session, portal_id, store_code, FACTS)
            repo.advance(cp, cp.position + len(orders), max((o.updated_at for o in orders), default=None))
        read += len(orders)
        if _spent(budget, source, read):
            return False
    with extensions.db().session() as session:
        cp = repo.checkpoint(session, portal_id, store_code, FACTS)
        repo.advance(cp, cp.position, None, done=True)
    return True


def _spent(budget: SliceBudget | None, source, orders_read: int) -> bool:
    """Whether this slice must stop after the chunk it just committed."""
    return budget is not None and (orders_read >= budget.orders(_page_size(source)) or not budget.keep_going())


def _page_size(source) -> int:
    return getattr(source, "page_size", DEFAULT_PAGE_SIZE)


def _run(portal_id: int, store, crm, mode: str, chunk: int, progress: Callable[[int], None] | None,
         stop_after: int | None, budget: SliceBudget | None = None) -> dict:
    """One store's pass from its checkpoint; with a budget it stops after the slice's share ("stopped": True)."""
    db = extensions.db()
    info, source = StoreInfo.of(store), bootstrap.source_for(store)
    if budget is not None:
        chunk = min(chunk, budget.orders(_page_size(source)))
    ensure_setup(crm, portal_id)
    with db.session() as session:
        cp = repo.checkpoint(session, portal_id, store.code, mode)
        if mode == "backfill" and cp.done:
            return {"store": store.code, "skipped": "already backfilled"}
        since, position = cp.high_water, cp.position
        if mode == "poll" and since is None:
            backfill = repo.checkpoint(session, portal_id, store.code, "backfill")
            since = backfill.high_water
        facts = repo.checkpoint(session, portal_id, store.code, FACTS) if mode == "backfill" else None
        facts_since = (facts.high_water if facts.position else since) if facts else None
        facts_done = facts is None or facts.done
    report = {"store": store.code, "orders": 0, "errors": 0, "chunks": 0}
    # The catalogue and the facts pass read everything before the first HubSpot call: in large pages, read ahead.
    # The chunks read as they go, overlapped with the calls; they keep the usual pages (a slice's budget).
    bulk = bootstrap.bulk_source_for(store)
    # Slices of one job reuse the catalogue the previous slice read in this process.
    catalogue = (Catalogue.load(bulk) if budget is None
                 else cached_catalogue(("bulk", store.id, store.api_url), bulk, with_customers=True))
    if not facts_done and not _record_facts(portal_id, store.code, bulk, catalogue, facts_since, chunk, budget):
        return {**report, "stopped": True}
    run = Run(portal_id, crm, info, mode, source, catalogue, position, report, progress)

    def last(chunks: int, orders: int) -> bool:
        return (stop_after is not None and chunks >= stop_after) or _spent(budget, source, orders)

    if not sync_chunks(run, _chunks(source.iter_orders(updated_since=since), chunk), last):
        return {**report, "stopped": True}
    position = run.position
    with db.session() as session:
        cp = repo.checkpoint(session, portal_id, store.code, mode)
        repo.advance(cp, position, None, done=(mode == "backfill"))
    return report


def backfill(portal_id: int, store_code: str | None = None, *, chunk: int = CHUNK,
             progress: Callable[[int], None] | None = None, stop_after: int | None = None,
             budget: SliceBudget | None = None) -> dict:
    """Sync every order of the portal's stores (or one store). Resumable; a finished store is skipped.

    With a budget, stops after one slice's share; the report then carries "stopped": True."""
    crm = bootstrap.crm_for(portal_id)
    with extensions.db().session() as session:
        stores = [s for s in active_stores(session, portal_id) if store_code in (None, s.code)]
    if store_code and not stores:
        raise ValueError(f"portal {portal_id} has no store {store_code!r} (or it is paused)")
    reports = []
    for store in stores:
        reports.append(_run(portal_id, store, crm, "backfill", chunk, progress, stop_after, budget))
        if reports[-1].get("stopped"):
            break
    return {"portal_id": portal_id, "stores": reports, "hubspot_calls": crm.calls,
            "limiter_wait_s": round(crm.waited_s, 2), "hubspot_call_s": round(crm.in_call_s, 2),
            "stopped": any(r.get("stopped") for r in reports)}


def _poll_store(portal_id: int, store, crm, chunk: int, budget: SliceBudget | None) -> dict:
    db = extensions.db()
    report = _run(portal_id, store, crm, "poll", chunk, None, None, budget)
    if report.get("stopped"):
        return report  # its deletions come once its orders are caught up
    source = bootstrap.source_for(store)
    with db.session() as session:
        since = repo.checkpoint(session, portal_id, store.code, "deletions").high_water
    deletions = [d for d in source.iter_deletions(since=since) if not isinstance(d, RecordError)]
    if deletions:
        with db.session() as session:
            report["deletions"] = apply_deletions(session, crm, portal_id, [
                dataclasses.replace(d, store=d.store or store.code) for d in deletions])
            cp = repo.checkpoint(session, portal_id, store.code, "deletions")
            repo.advance(cp, cp.position + len(deletions), max(d.deleted_at for d in deletions))
    return report


def poll(portal_id: int, *, chunk: int = CHUNK, budget: SliceBudget | None = None,
         backfilling: set[str] = frozenset()) -> dict:
    """Incremental: orders changed and deletions since the last poll, per active store.

    A store whose backfill job is still to finish (`backfilling`: its code, or "" for all the portal's stores)
    is skipped: the backfill reads every change up to its end and the first poll after it goes on from there,
    while a poll now would read the store's whole history beside the backfill, for nothing.

    Each store on its own: one that cannot be read is recorded (an open error
    `store / poll:<code>` on the sync health page, closed by its next good
    poll) and the others are still polled. The next poll, 5 minutes on, is
    the retry; HubSpot's own failures still fail the job, as for every store.
    With a budget, stops after one slice's share ("stopped": True).
    """
    crm = bootstrap.crm_for(portal_id)
    db = extensions.db()
    with db.session() as session:
        stores = active_stores(session, portal_id)
    reports, unavailable = [], []
    for store in stores:
        key = f"poll:{store.code}"
        if backfilling & {"", store.code}:
            reports.append({"store": store.code, "skipped": "its backfill is still running"})
            continue
        try:
            reports.append(_poll_store(portal_id, store, crm, chunk, budget))
        except MoulinError as error:
            log_event(logger, "sync.poll.store_failed", logging.WARNING, portal_id=portal_id, store=store.code,
                      error=str(error))
            unavailable.append(store.code)
            with db.session() as session:
                repo.record_errors(session, portal_id, "store", {key: f"{type(error).__name__}: {error}"})
            continue
        with db.session() as session:
            repo.resolve_errors(session, portal_id, "store", [key])
        if reports[-1].get("stopped"):
            break
    return {"portal_id": portal_id, "stores": reports, "unavailable": unavailable, "hubspot_calls": crm.calls,
            "stopped": any(r.get("stopped") for r in reports)}


def restart_backfill(session, portal_id: int, store_code: str) -> None:
    """Backfill the store again from its first order: a target was added (`StoreSettings.target`). What HubSpot
    already has costs no call (content hashes), so only the new target is written; the facts pass stays done."""
    cp = repo.checkpoint(session, portal_id, store_code, "backfill")
    cp.position, cp.high_water, cp.done = 0, None, False
    log_event(logger, "sync.backfill.restarted", portal_id=portal_id, store=store_code)
