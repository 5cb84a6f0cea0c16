"""Real-time pushes, gathered: the events of one store that arrive within a short window are synced as one batch.

Each pushed event still has its own `sync.moulin_event` job. The first job of a
burst waits out the window (`PUSH_WINDOW_MS` after the event's receipt), claims
every pending event of the store (at most one HubSpot batch, 100), and syncs them
together through the sync's entry points: an order edited twice is read and
written once, N edits cost one planned batch instead of ~5 calls each. One batch
runs at a time per store: a job that finds one running ends, and the running job,
once its batch is written, claims what arrived meanwhile (after `PUSH_BURST_WINDOW_MS`
from the oldest of them, 1 s by default) and syncs it as the next batch. So a
burst costs about one planned batch per second, while a lone edit still waits
only `PUSH_WINDOW_MS`. Every
event is still marked processed once, its payload trimmed, and a failure is
recorded on each event it concerns.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from .. import extensions
from ..db.models import MoulinEvent, MoulinStore
from ..logs import log_event
from ..moulin.errors import MoulinNotFound
from hubspot_app.domain.records import Deletion, RecordError
from ..moulin.stores import is_paused
from hubspot_app.sync import engine
from hubspot_app import bootstrap
from .deletions import apply_deletions
from .orders import StoreInfo, sync_orders
from hubspot_app.domain.planner import OBJECT_BATCH
from .setup import ensure_setup
from .sources import cached_catalogue

logger = logging.getLogger(__name__)

# Long enough to cover a slow batch's HubSpot calls; past it the events are pending again for the inbox sweep.
CLAIM_FOR = timedelta(minutes=5)
# Longer than a batch takes even when the portal's rate limit paces it; past it, a claim no longer holds back
# the store's other pushes (`_in_flight`).
IN_FLIGHT_FOR = timedelta(seconds=60)
READS_IN_FLIGHT = 4  # concurrent order reads from one store (a burst's batch)


@dataclass(frozen=True)
class Claimed:
    row_id: int
    type: str
    record_id: str
    received_at: datetime


def _now():
    return extensions.clock()()  # the app's clock: the receiver stamped `received_at` with it


def handle_push(event_row_id: int) -> dict:
    """The `sync.moulin_event` job: sync this event and every other pending one of its store, once."""
    db = extensions.db()
    with db.session() as session:
        event = session.get(MoulinEvent, event_row_id)
        if event is None or event.processed_at is not None:
            return {"skipped": True}
        store_id, portal_id, received_at = event.store_id, event.portal_id, event.received_at
        retried = event.error is not None  # failed before: the running batch would leave it out (`_pending`)
    waited_ms = _ms_since(received_at)
    log_event(logger, "sync.push.picked_up", portal_id=portal_id, event_row_id=event_row_id, waited_ms=waited_ms)
    if not retried and _in_flight(store_id):
        # One batch at a time per store: the running one claims this event when it ends (`_gather_and_sync`),
        # with everything else that arrived meanwhile.
        return {"skipped": "gathered by the running batch"}
    # Claimed at once, then gathered: from now on the store is busy, and later pushes join this batch.
    claimed = _claim(store_id, event_row_id)
    if not claimed:
        return {"skipped": "claimed by another job"}
    return _gather_and_sync(claimed, store_id, portal_id, event_row_id)


# Store id -> when this process last wrote a batch of it. Per process: a burst that moves to another worker
# starts there with the short window, as before.
_last_batch_end: dict[int, datetime] = {}


def _first_window_ms(store_id: int, claimed: list[Claimed]) -> int:
    """The short window, unless the store's last batch ended less than that before these events arrived: the
    burst goes on (nothing had arrived while that batch ran, so its loop ended), at one batch per burst window."""
    config, ended = extensions.config(), _last_batch_end.get(store_id)
    arrived = min(c.received_at for c in claimed)
    if ended is not None and (arrived - ended).total_seconds() * 1000 < config.push_window_ms:
        return config.push_burst_window_ms
    return config.push_window_ms


def _gather_and_sync(claimed: list[Claimed], store_id: int, portal_id: int, own_row_id: int) -> dict:
    """Sync the claimed events, then whatever arrived while they synced, until the store has nothing pending."""
    total: dict = {"events": 0, "batches": 0}
    window_ms = _first_window_ms(store_id, claimed)
    while claimed:
        claimed = _gathered(store_id, claimed, window_ms)
        waited_ms = max(_ms_since(c.received_at) for c in claimed)  # the oldest push: receipt -> batch start
        with extensions.db().session() as session:
            store = session.get(MoulinStore, store_id)
        started = time.perf_counter()
        try:
            result = _apply(claimed, store, portal_id)
        except Exception:  # noqa: BLE001 - one at a time, so each event records its own failure
            return _one_by_one(claimed, own_row_id)
        # What arrived while the batch ran is claimed before the batch's own events are marked: the store never
        # looks idle in between, where another thread's push job would start a batch of its own (shorter window).
        arrived = _claim(store_id, 0)
        _mark_processed(claimed)
        _last_batch_end[store_id] = _now()
        log_event(logger, "sync.push.batch_done", portal_id=portal_id, events=len(claimed),
                  waited_ms=waited_ms,
                  batch_ms=round((time.perf_counter() - started) * 1000),
                  **{k: v for k, v in result.items() if k in ("orders", "deleted", "read_ms", "hubspot_calls")})
        total = {**result, "events": total["events"] + len(claimed), "batches": total["batches"] + 1}
        # A burst: what arrived while the batch ran is gathered until its oldest push is the burst window old.
        claimed, window_ms = arrived, extensions.config().push_burst_window_ms
    return total


def _gathered(store_id: int, claimed: list[Claimed], window_ms: int) -> list[Claimed]:
    """The claimed events and those that arrive until the oldest is `window_ms` old (or a batch is full)."""
    if extensions.config().queue_immediate:
        return claimed  # inline runs (tests, one-shot commands): the receiving request would wait
    # Bounded by the window: however late a job starts, it never waits more than that.
    remaining_s = min(max(window_ms - max(_ms_since(c.received_at) for c in claimed), 0), window_ms) / 1000
    deadline = time.monotonic() + remaining_s
    while time.monotonic() < deadline and len(claimed) + _pending_count(store_id) < OBJECT_BATCH:
        time.sleep(min(0.05, max(deadline - time.monotonic(), 0)))
    more = _claim(store_id, 0, OBJECT_BATCH - len(claimed)) if len(claimed) < OBJECT_BATCH else []
    return sorted([*claimed, *more], key=lambda c: c.row_id)


def _ms_since(at) -> int:
    return round((_now() - at).total_seconds() * 1000)


def _pending(store_id: int, own_row_id: int, now):
    """Events of the store to sync: not processed, not failed (unless it is this job's own), not claimed."""
    return (MoulinEvent.store_id == store_id, MoulinEvent.processed_at.is_(None),
            or_(MoulinEvent.error.is_(None), MoulinEvent.id == own_row_id),
            or_(MoulinEvent.claimed_until.is_(None), MoulinEvent.claimed_until < now))


def _pending_count(store_id: int) -> int:
    with extensions.db().session() as session:
        return len(session.scalars(select(MoulinEvent.id).where(*_pending(store_id, 0, _now()))
                                   .limit(OBJECT_BATCH)).all())


def _in_flight(store_id: int) -> bool:
    """Is a batch of this store running? A claim counts for `IN_FLIGHT_FOR` only: a worker killed mid-batch
    holds its claims for `CLAIM_FOR`, and the store's next pushes must not wait that long."""
    now = _now()
    with extensions.db().session() as session:
        return session.scalar(select(MoulinEvent.id).where(
            MoulinEvent.store_id == store_id, MoulinEvent.processed_at.is_(None),
            MoulinEvent.claimed_until > now + CLAIM_FOR - IN_FLIGHT_FOR).limit(1)) is not None


def _claim(store_id: int, own_row_id: int, at_most: int = OBJECT_BATCH) -> list[Claimed]:
    now = _now()
    with extensions.db().session() as session:
        ids = session.scalars(select(MoulinEvent.id).where(*_pending(store_id, own_row_id, now))
                              .order_by(MoulinEvent.id).limit(at_most)).all()
        if not ids:
            return []
        # Conditional update: of two jobs claiming at once, each row goes to exactly one.
        rows = session.execute(update(MoulinEvent).where(MoulinEvent.id.in_(ids), *_pending(store_id, own_row_id, now))
                               .values(claimed_until=now + CLAIM_FOR)
                               .returning(MoulinEvent.id, MoulinEvent.type, MoulinEvent.record_id,
                                          MoulinEvent.received_at)).all()
    return [Claimed(*row) for row in sorted(rows)]


def _apply(claimed: list[Claimed], store: MoulinStore, portal_id: int) -> dict:
    if is_paused(store):  # the first poll after resuming reads every change since
        return {"skipped": "store paused"}
    source, crm = bootstrap.source_for(store), bootstrap.crm_for(portal_id)
    result: dict = {"orders": 0, "deleted": 0}
    deleted = {(e.type.partition(".")[0], e.record_id) for e in claimed if e.type.endswith(".deleted")
               and e.type.startswith(("order.", "product."))}
    if deleted:
        with extensions.db().session() as session:
            report = apply_deletions(session, crm, portal_id, [
                Deletion(kind=kind, id=record_id, store=store.code, deleted_at=bootstrap.now())
                for kind, record_id in sorted(deleted)])
        result["deleted"] = len(deleted)
        result["deletions"] = report
    # An order edited twice in the window is read (its latest state) and written once.
    order_ids = dict.fromkeys(e.record_id for e in claimed if e.type.startswith("order.")
                              and not e.type.endswith(".deleted") and ("order", e.record_id) not in deleted)
    started = time.perf_counter()
    orders, errors = _read_orders(source, list(order_ids))
    if orders or errors:
        batch, missing = cached_catalogue(store.id, source).batch(store.code, orders, source)
        result["read_ms"] = round((time.perf_counter() - started) * 1000)  # Moulin: the orders and their records
        setup = ensure_setup(crm, portal_id)
        with extensions.db().session() as session:
            result.update(sync_orders(session, crm, portal_id, setup, StoreInfo.of(store), batch,
                                      now=bootstrap.now(), errors=[*errors, *missing]))
    customer_ids = dict.fromkeys(e.record_id for e in claimed if e.type in ("customer.created", "customer.updated"))
    for customer_id in customer_ids:
        _sync_customer(source, portal_id, customer_id)
    # company.* and product.updated reach HubSpot with the next order that uses them (content hashes).
    return {**result, "hubspot_calls": crm.calls}


def _read_orders(source, order_ids: list[str]) -> tuple[list, list[RecordError]]:
    """The orders' latest state, a few reads at a time: Moulin has no read by ids, and a burst's batch
    would otherwise wait on one round trip per order."""
    def read(order_id: str):
        try:
            return source.get_order(order_id)
        except MoulinNotFound:  # deleted since: its own deletion event follows
            return None
    if not order_ids:
        return [], []
    with ThreadPoolExecutor(max_workers=min(READS_IN_FLIGHT, len(order_ids)), thread_name_prefix="moulin") as pool:
        found = [o for o in pool.map(read, order_ids) if o is not None]
    return [o for o in found if not isinstance(o, RecordError)], [o for o in found if isinstance(o, RecordError)]


def _sync_customer(source, portal_id: int, customer_id: str) -> None:
    try:
        customer = source.get_customer(customer_id)
    except MoulinNotFound:  # deleted since: its orders keep their contact (`identity`)
        return
    if getattr(customer, "email", None):
        engine.sync_customer_orders(portal_id, customer.email)


def _mark_processed(claimed: list[Claimed]) -> None:
    now = bootstrap.now()
    with extensions.db().session() as session:
        for row in session.scalars(select(MoulinEvent).where(MoulinEvent.id.in_([e.row_id for e in claimed]))):
            row.processed_at, row.error, row.claimed_until = now, None, None
            # Applied: the record was read again from Moulin, so its copy in the inbox (personal data) is not kept.
            row.payload = {**row.payload, "data": {"id": row.record_id}}


def _one_by_one(claimed: list[Claimed], own_row_id: int) -> dict:
    """The batch failed: each event alone, so each records its own error; this job re-raises its own."""
    with extensions.db().session() as session:
        session.execute(update(MoulinEvent).where(MoulinEvent.id.in_([e.row_id for e in claimed]))
                        .values(claimed_until=None))
    own_error = None
    for event in claimed:
        try:
            engine.handle_moulin_event(event.row_id)
        except Exception as error:  # noqa: BLE001 - recorded on the event by handle_moulin_event
            if event.row_id == own_row_id:
                own_error = error
            else:  # its own job may have ended already (it found the event claimed): give it one again
                extensions.jobs().enqueue_in(60, "sync.moulin_event", event.row_id)
    if own_error is not None:
        raise own_error
    return {"events": len(claimed), "one_by_one": True}
