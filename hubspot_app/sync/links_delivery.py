"""Links back to the store, I/O: remember what each sync found, then hand the changes to the store.

`note_links` runs inside the sync's unit of work (no I/O): it writes the links
that changed and, once that transaction commits, enqueues `sync.store_links`
for the store. That job asks the store's `/ping` whether it takes links at all
(a store without the capability is never sent any), sends every pending link
in batches through `MoulinClient`, and marks each as sent. The job is apart
from the sync on purpose: its failure never fails a sync. A transient failure
is retried by the queue (the client already retried it in place); any failure
is a `job` row on the sync health page; links not sent stay pending and go with
the store's next delivery.
"""
from __future__ import annotations

import logging

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .. import extensions
from ..db.base import now_of
from ..db.models import StoreLink
from ..db.one_of import one_of
from ..db.upsert import upsert
from ..logs import log_event
from ..moulin.stores import client_for, find_store, is_paused
from hubspot_app.domain.links_back import LinkState, OrderRecords, RecordKey, awaiting, batches, changes, payload, wanted_links

logger = logging.getLogger(__name__)

CAPABILITY = "hubspot_links"  # what a store lists in its /ping `capabilities` to receive links
JOB = "sync.store_links"
_DUE = "moulin.store_links_due"  # session.info key: the stores to deliver to once the sync commits


def note_links(session: Session, portal_id: int, store_code: str, synced: list[OrderRecords]) -> None:
    """Remember the HubSpot records of these orders and their customers; deliver the changes after commit."""
    wanted = wanted_links(extensions.config().hubspot_auth_base, portal_id, synced)
    if not wanted:
        return
    known = _known(session, portal_id, store_code, wanted)
    rows = changes(wanted, known)
    if rows:
        upsert(session, StoreLink, [
            {"portal_id": portal_id, "store_code": store_code, "kind": kind, "record_id": record_id, "links": links,
             "pending": pending, "updated_at": now_of(session)}
            for (kind, record_id), (links, pending) in sorted(rows.items())],
            ("portal_id", "store_code", "kind", "record_id"))
    # Links a failed or refused delivery left behind go with the next sync of their records.
    if awaiting(known, rows):
        _deliver_after_commit(session, portal_id, store_code)


def _known(session: Session, portal_id: int, store_code: str, keys) -> dict[RecordKey, LinkState]:
    known: dict[RecordKey, LinkState] = {}
    for kind in ("order", "customer"):
        ids = sorted(record_id for k, record_id in keys if k == kind)
        for start in range(0, len(ids), 500):
            # columns, not ORM objects: every order of a backfill is looked up, and none is changed in place
            for row in session.execute(select(StoreLink.record_id, StoreLink.links, StoreLink.sent).where(
                    StoreLink.portal_id == portal_id, StoreLink.store_code == store_code, StoreLink.kind == kind,
                    one_of(session, StoreLink.record_id, ids[start:start + 500]))):
                known[(kind, row.record_id)] = LinkState(row.links, row.sent)
    return known


def _deliver_after_commit(session: Session, portal_id: int, store_code: str) -> None:
    # After commit, not now: the job reads the rows this transaction writes, and must not hold up the sync.
    due = session.info.setdefault(_DUE, set())
    if not due:
        event.listen(session, "after_commit", _enqueue_due, once=True)
    due.add((portal_id, store_code))


def _enqueue_due(session: Session) -> None:
    for portal_id, store_code in sorted(session.info.pop(_DUE, ())):
        try:
            extensions.jobs().enqueue(JOB, portal_id, store_code)
        except Exception as error:  # noqa: BLE001 - the sync is committed; its links wait for the next delivery
            log_event(logger, "sync.store_links.not_queued", logging.WARNING, portal_id=portal_id, store=store_code,
                      error=type(error).__name__)


def deliver_links(portal_id: int, store_code: str) -> dict:
    """Send the store every pending link, 100 records a request, if its /ping says it takes them."""
    db = extensions.db()
    with db.session() as session:
        store = find_store(session, portal_id, store_code)
        if store is None or is_paused(store):
            return {"store": store_code, "sent": 0, "skipped": "store paused or gone"}
        pending = [((row.kind, row.record_id), row.links) for row in session.scalars(select(StoreLink).where(
            StoreLink.portal_id == portal_id, StoreLink.store_code == store_code, StoreLink.pending.is_(True))
            .order_by(StoreLink.id))]
    if not pending:
        return {"store": store_code, "sent": 0}
    client = client_for(store, extensions.cipher())
    if not client.supports(CAPABILITY):
        return {"store": store_code, "sent": 0, "unsupported": True}
    sent = 0
    for chunk in batches(pending):
        client.put_hubspot_links(payload(portal_id, chunk))
        with db.session() as session:
            _mark_sent(session, portal_id, store_code, dict(chunk))
        sent += len(chunk)
    log_event(logger, "sync.store_links.sent", portal_id=portal_id, store=store_code, records=sent)
    return {"store": store_code, "sent": sent}


def _mark_sent(session: Session, portal_id: int, store_code: str, sent: dict[RecordKey, dict]) -> None:
    """The store holds `sent` now; a row a sync changed meanwhile stays pending (its new links are not sent)."""
    for kind in ("order", "customer"):
        ids = sorted(record_id for k, record_id in sent if k == kind)
        rows = session.scalars(select(StoreLink).where(
            StoreLink.portal_id == portal_id, StoreLink.store_code == store_code, StoreLink.kind == kind,
            one_of(session, StoreLink.record_id, ids)).with_for_update())
        for row in rows:
            row.sent = sent[(kind, row.record_id)]
            row.pending = row.links != row.sent
