"""The backfill's facts pass: every order's contribution to its contact's aggregates, read ahead of the sync.

With all of them known, a contact's properties are final the first time it is
written, so a repeat customer whose orders span many chunks is upserted once
instead of once per chunk. The pass is local (Moulin and our database only) and
has its own checkpoint, so a slice that runs out of time resumes it where it
stopped.

It runs on a thread of its own beside the first chunks: a long history (34 s of
reading before the first HubSpot call at 100,000 orders) no longer leaves the
portal's rate limit idle. The backfill waits for it a short head start
(`BACKFILL_FACTS_HEAD_START_MS`), so a small store's contacts are still written
once. A chunk planned before the pass is complete counts what is known by then
(`facts_by_contact`: the pass's rows so far, every order of the chunks before,
this chunk's own): its contacts' totals are right for every order synced so far,
and a contact whose later orders come in a later chunk is written again there,
with all of them. Nothing is left to recount: only some writes are repeated.
"""
from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Callable, Iterable

from hubspot_app.db import repository as repo
from hubspot_app.domain.records import Order, RecordError
from .sources import Catalogue

FACTS = "backfill_facts"  # the pass's checkpoint


class FactsPass:
    """The pass over `chunks` of one store's orders, started on its own thread as soon as it is made."""

    def __init__(self, db, portal_id: int, store_code: str, catalogue: Catalogue,
                 chunks: Iterable[tuple[list[Order], list[RecordError]]], keep_going: Callable[[], bool]):
        self._db, self._portal_id, self._store_code, self._catalogue = db, portal_id, store_code, catalogue
        self._keep_going = keep_going
        self._stop = threading.Event()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="facts-pass")
        self._result: Future = self._thread.submit(self._read, chunks)

    def _read(self, chunks) -> bool:
        """True when every order was read; False when stopped (its checkpoint says how far it got)."""
        for orders, _ in chunks:
            facts = self._catalogue.order_facts(self._store_code, orders)
            with self._db.session() as session:
                repo.save_order_facts(session, self._portal_id, facts)
                cp = repo.checkpoint(session, self._portal_id, self._store_code, FACTS)
                repo.advance(cp, cp.position + len(orders), max((o.updated_at for o in orders), default=None))
            if self._stop.is_set() or not self._keep_going():
                return False
        with self._db.session() as session:
            cp = repo.checkpoint(session, self._portal_id, self._store_code, FACTS)
            repo.advance(cp, cp.position, None, done=True)
        return True

    def wait(self, seconds: float) -> bool:
        """Give the pass up to `seconds` to end; True when it is complete (its failure is raised here)."""
        wait([self._result], timeout=max(seconds, 0))
        return self.complete()

    def complete(self) -> bool:
        return self._result.done() and self._result.result()

    def finish(self, stop: bool = False) -> bool:
        """Wait for the pass to end (`stop`: after the chunk it is on); True when it read every order."""
        if stop:
            self._stop.set()
        try:
            return self._result.result()
        finally:
            self._thread.shutdown()
