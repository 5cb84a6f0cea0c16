"""The backfill's order-facts pass: every order's contribution to its contact's aggregates, read ahead.

With all of them known, a contact's properties are final the first time it is
written, so a repeat customer whose orders span many chunks is upserted once
instead of once per chunk. The pass only reads Moulin and writes our own table,
so it runs on a thread of its own beside the sync's first chunks instead of
before them: at 100,000 orders it took 34 s in which no HubSpot call was made.
Reading is far faster than HubSpot's rate lets the sync go, so the pass is soon
ahead; a contact planned before the pass reached its later orders is written
again when their chunk comes. Correct either way: a chunk's plan counts every
earlier chunk's facts (written, or in flight as `ahead`), whatever this pass
has reached. It has its own checkpoint, so a slice that stops resumes it.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from flask import current_app

from .. import extensions
from ..logs import log_event
from hubspot_app import bootstrap
from hubspot_app.db import repository as repo
from hubspot_app.domain.batch import order_facts
from .sources import Catalogue, chunks_of

logger = logging.getLogger(__name__)

FACTS = "backfill_facts"  # the pass's checkpoint
# Small chunks: the pass's orders are held beside the sync's own, and its short commits barely delay theirs.
FACTS_CHUNK = 200


def record_facts(portal_id: int, store_code: str, source, catalogue: Catalogue, since,
                 keep_going: Callable[[], bool], moved: Callable[[int], None] = lambda position: None) -> bool:
    """The pass from `since`, a committed chunk at a time (`moved(position)` after each). True when complete."""
    for orders, _ in chunks_of(source.iter_orders(updated_since=since), FACTS_CHUNK):
        batch, _ = catalogue.batch(store_code, orders)
        with extensions.db().session() as session:
            repo.save_order_facts(session, portal_id, {
                o.key: ((c.email if (c := batch.customer_of(o)) else None), order_facts(o, batch)) for o in orders})
            cp = repo.checkpoint(session, portal_id, store_code, FACTS)
            repo.advance(cp, cp.position + len(orders), max((o.updated_at for o in orders), default=None))
            position = cp.position
        moved(position)
        if not keep_going():
            return False
    with extensions.db().session() as session:
        cp = repo.checkpoint(session, portal_id, store_code, FACTS)
        repo.advance(cp, cp.position, None, done=True)
    return True


@dataclass(frozen=True)
class FactsStart:
    pending: bool  # the pass is still to run (or to finish)
    since: object  # where it resumes reading
    position: int  # orders it has read so far, from the history's start


def facts_start(session, portal_id: int, store_code: str, since) -> FactsStart:
    """Where the pass stands; `since`: where the backfill itself starts reading."""
    facts = repo.checkpoint(session, portal_id, store_code, FACTS)
    return FactsStart(not facts.done, facts.high_water if facts.position else since, facts.position)


NOT_NEEDED = FactsStart(False, None, 0)


class _Lead:
    """How far the pass has read, for the sync to wait on before it plans a chunk."""

    def __init__(self, position: int) -> None:
        self.position, self.running, self._changed = position, True, threading.Condition()

    def moved(self, position: int) -> None:
        with self._changed:
            self.position = position
            self._changed.notify_all()

    def ended(self) -> None:
        with self._changed:
            self.running = False
            self._changed.notify_all()

    def gate(self, chunks: Iterable, synced: int, lead: int) -> Iterator:
        """The chunks, each once the pass is `lead` orders past its end (or has ended)."""
        for orders, errors in chunks:
            synced += len(orders)
            with self._changed:
                self._changed.wait_for(lambda: not self.running or self.position >= synced + lead)
            yield orders, errors


@contextmanager
def facts_alongside(portal_id: int, store, catalogue: Catalogue, start: FactsStart, synced: int,
                    keep_going: Callable[[], bool]) -> Iterator[Callable[[Iterable], Iterable]]:
    """Run the pass on its own thread while the caller's block syncs. Yields `gate(chunks)`: the chunks, each
    released once the pass is `LEAD` orders past it (`synced`: where the sync starts). Leaving the block stops
    the pass after its current chunk: once the sync is through, what the pass has not reached the sync has
    counted itself, and a stopped slice's next one resumes the pass from its checkpoint."""
    if not start.pending:
        yield lambda chunks: chunks
        return
    app, stop, lead = current_app._get_current_object(), threading.Event(), _Lead(start.position)
    distance = extensions.config().backfill_facts_lead

    def run() -> bool:
        try:
            with app.app_context():  # its own Moulin client: a requests session is not shared between threads
                return record_facts(portal_id, store.code, bootstrap.source_for(store), catalogue, start.since,
                                    lambda: not stop.is_set() and keep_going(), lead.moved)
        finally:
            lead.ended()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="backfill-facts") as pool:
        future = pool.submit(run)
        try:
            yield lambda chunks: lead.gate(chunks, synced, distance)
        finally:
            stop.set()
    if future.exception() is not None:  # only an optimisation: the sync counts every order itself
        log_event(logger, "sync.backfill.facts_failed", logging.WARNING, portal_id=portal_id, store=store.code,
                  error=f"{type(future.exception()).__name__}: {future.exception()}")
