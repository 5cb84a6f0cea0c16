"""A run of chunks with the database work of one overlapping the HubSpot calls of the other.

While chunk N's calls are in flight (on a sender thread, paced by the portal's
limiter), chunk N+1 is read and planned, and chunk N-1's results were written
just before; so the limiter, not the database, sets the pace. N+1 is planned
`ahead` of N (`orders.plan_orders`): what N will write counts as written, and
the ids N gets are handed to N+1's calls. One chunk at most is in flight, so
the checkpoint only ever passes chunks whose results are written: a run killed
at any point resumes where the database says, as before.

Each chunk's partly filled association batches are carried into the next
chunk's full ones (`planner.plan(carry=True)`) and the last chunk's are sent on
their own. Until the chunk that sends them has landed, their owners keep no hash
and the checkpoint stays before the chunk that carried them: a run killed in
between reads that chunk again and re-sends what was carried.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

from .. import extensions
from ..logs import log_event
from hubspot_app.domain.records import Order, RecordError
from hubspot_app import bootstrap, memory
from hubspot_app.db import repository as repo
from hubspot_app.domain.batch import Built
from hubspot_app.domain.planner import Work
from .executor import Outcome, execute
from .orders import Planned, StoreInfo, plan_orders, send
from .results import record, record_carried
from .setup import ensure_setup
from .sources import Catalogue

logger = logging.getLogger(__name__)


@dataclass
class Run:
    """One store's pass over its chunks: where it writes its checkpoint and what it reports."""

    portal_id: int
    crm: object
    info: StoreInfo
    mode: str  # the checkpoint: "backfill" or "poll"
    source: object
    catalogue: Catalogue
    position: int
    report: dict
    progress: Callable[[int], None] | None = None
    high_water: datetime | None = None  # the newest `updated_at` of the chunks landed


@dataclass
class _Flight:
    planned: Planned
    calls: Future
    orders: list[Order]
    errors: list[RecordError]
    done: tuple[int, datetime | None]  # the checkpoint before this chunk: kept while its carried pairs wait


def plan_chunk(session, crm, portal_id: int, info: StoreInfo, source, catalogue: Catalogue, orders: list[Order],
               errors: list[RecordError], ahead: Planned | None = None) -> Planned:
    """Read and plan one chunk (the catalogue's own errors are recorded with the first chunk that runs)."""
    setup = ensure_setup(crm, portal_id)  # before anything of the caller's session runs: in no transaction
    batch, missing = catalogue.batch(info.code, orders, source)
    planned = plan_orders(session, crm, portal_id, setup, info, batch, now=bootstrap.now(),
                          errors=[*catalogue.errors, *errors, *missing], ahead=ahead)
    catalogue.errors = []
    return planned


def sync_chunk(session, crm, portal_id: int, info: StoreInfo, source, catalogue: Catalogue, orders: list[Order],
               errors: list[RecordError]) -> dict:
    """One chunk of orders synced in the caller's unit of work (the caller adds its own bookkeeping)."""
    planned = plan_chunk(session, crm, portal_id, info, source, catalogue, orders, errors)
    return record(session, planned, send(crm, planned))


def add_to_report(report: dict, result: dict) -> None:
    report["orders"] += result["orders"]
    report["errors"] += result["errors"] + result["bad_records"]
    report["chunks"] += 1


def sync_chunks(run: Run, chunks: Iterable[tuple[list[Order], list[RecordError]]],
                last: Callable[[int, int], bool]) -> bool:
    """Sync the chunks in order; `last(chunks sent, orders sent)` says the slice ends after this one.
    True when every chunk was synced, False when `last` stopped the run early."""
    db, flight, sent, read = extensions.db(), None, 0, 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hubspot-send") as sender:
        for orders, errors in chunks:
            with db.session() as session:
                planned = plan_chunk(session, run.crm, run.portal_id, run.info, run.source, run.catalogue, orders,
                                     errors, ahead=flight.planned if flight else None)
            landed = _land(run, flight) if flight else None
            planned.built.work.carried = landed.carried if landed else {}  # sent first, in its full batches
            flight = _Flight(planned, sender.submit(send, run.crm, planned, landed, True), orders, errors,
                             (run.position, run.high_water))
            sent, read = sent + 1, read + len(orders)
            if last(sent, read):
                _flush(run, _land(run, flight))
                return False
        if flight:
            _flush(run, _land(run, flight))
    return True


def _land(run: Run, flight: _Flight) -> Outcome:
    """Wait for a chunk's calls, then write its results and move the checkpoint past it, in one commit."""
    outcome = flight.calls.result()
    with extensions.db().session() as session:
        result = record(session, flight.planned, outcome)
        run.position += len(flight.orders)
        run.high_water = max((o.updated_at for o in flight.orders), default=run.high_water)
        _advance(session, run, *(flight.done if outcome.carried else (run.position, run.high_water)))
    add_to_report(run.report, result)
    memory.trim()
    if run.progress:
        run.progress(len(flight.orders) + len(flight.errors))
    log_event(logger, f"sync.{run.mode}.chunk", portal_id=run.portal_id, store=run.info.code, position=run.position)
    return outcome


def _advance(session, run: Run, position: int, high_water: datetime | None) -> None:
    repo.advance(repo.checkpoint(session, run.portal_id, run.info.code, run.mode), position, high_water)


def _flush(run: Run, landed: Outcome) -> None:
    """The last chunk's carried associations, sent on their own; then the checkpoint passes that chunk."""
    if not landed.carried:
        return
    outcome = execute(run.crm, Built(Work(carried=landed.carried)), {})
    with extensions.db().session() as session:
        record_carried(session, run.portal_id, outcome)
        _advance(session, run, run.position, run.high_water)
