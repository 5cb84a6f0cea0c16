"""A backfill plans its next chunk while the current chunk's HubSpot calls are in flight (`sync.overlap`).

Counts come from the HubSpot sandbox's request log and the app's database; nothing here measures time.
"""
from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from hubspot_app import bootstrap, extensions
from hubspot_app.db.models import ObjectLink
from hubspot_app.db.models.sync import SyncCheckpoint, SyncedCustomer
from hubspot_app.moulin.stores import client_for
from hubspot_app.sync.backfill import backfill


def _customers(store, prefix: str, n: int) -> list[str]:
    template = next(c for c in store.iter_raw("customers") if c.get("email"))
    ids = []
    for i in range(n):
        record = {**template, "id": f"cus_{prefix}_{i}", "email": f"{prefix}{i}@example.com", "company_id": None}
        store.save("customers", record, event="created")
        ids.append(record["id"])
    return ids


def test_repeat_customers_across_chunks_are_written_once_and_every_deal_finds_its_contact(world, stores):
    store, server = stores(orders=5, seed=3, store_code="b2c")
    people = _customers(store, "repeat", 5)
    # round robin: every chunk of 10 holds orders of every one of them
    orders = [store.create_order(people[n % 5])["id"] for n in range(35)]
    world.connect(store, server)
    before = len(world.state.request_log.entries())

    world.run(backfill, world.portal_id, chunk=10)

    paths = [e.path for e in world.state.request_log.entries()[before:] if e.method == "POST"]
    # Chunk 2 is planned while chunk 1's calls are in flight: what chunk 1 writes counts as written (no second
    # upsert of the same contacts), and chunk 1's contact ids reach chunk 2's associations.
    assert paths.count("/crm/v3/objects/contacts/batch/upsert") == 1, paths
    assert "/crm/v3/objects/contacts/batch/update" not in paths
    assert paths.count("/crm/v3/objects/deals/batch/upsert") == 4  # 40 orders, chunks of 10
    contact_of = {c["properties"]["email"]: c["id"] for c in world.objects("contacts")}
    deals = world.deals_by_key()
    for n, order_id in enumerate(orders):
        deal = deals[f"b2c:{order_id}"]
        assert world.associations("deals", deal["id"], "contacts") == [contact_of[f"repeat{n % 5}@example.com"]]


def test_the_next_chunk_is_read_and_planned_before_the_current_chunk_is_written(world, stores):
    store, server = stores(orders=5, seed=3, store_code="b2c")
    first = _customers(store, "first", 5)
    later = _customers(store, "later", 10)
    for customer_id in first + later:  # chunk 1: the 5 generated orders and 5 of `first`; chunk 2: `later`
        store.create_order(customer_id)
    world.connect(store, server)
    world.state.latency_s = 0.5  # chunk 1's calls come in three waves: in flight for over a second
    database = world.app.extensions["moulin.db"]
    seen: dict = {}

    def watch() -> None:
        while sync.is_alive() and not seen:
            with database.session() as session:
                read = session.scalar(select(func.count()).select_from(SyncedCustomer).where(
                    SyncedCustomer.customer_id.in_(later)))
                if read:  # chunk 2 has been read and its customers resolved: chunk 1's results written yet?
                    seen["deal_links"] = session.scalar(select(func.count()).select_from(ObjectLink).where(
                        ObjectLink.portal_id == world.portal_id, ObjectLink.kind == "deal"))
            time.sleep(0.01)

    sync = threading.Thread(target=world.run, args=(backfill, world.portal_id), kwargs={"chunk": 10})
    sync.start()
    watch()
    sync.join()

    assert seen == {"deal_links": 0}  # chunk 2 was planned while none of chunk 1's results were written
    assert len(world.deals_by_key()) == 20
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ObjectLink).where(
            ObjectLink.portal_id == world.portal_id, ObjectLink.kind == "deal")) == 20


class _FactsPassGate:
    """`Adapters.source_factory`: stores' real clients, except that the first order listing (the backfill's facts
    pass, started before its chunks) pauses after `head` orders until `opened` is set, or 5 s at most."""

    def __init__(self, head: int):
        self.head, self.opened, self.listings = head, threading.Event(), 0

    def __call__(self, store):
        gate, client = self, client_for(store, extensions.cipher())

        class Gated:
            def __getattr__(self, name):
                return getattr(client, name)

            def iter_orders(self, updated_since=None):
                gate.listings += 1
                records = client.iter_orders(updated_since=updated_since)
                return gate.paused(records) if gate.listings == 1 else records

        return Gated()

    def paused(self, records):
        for n, record in enumerate(records):
            if n == self.head:
                self.opened.wait(timeout=5)
            yield record


def test_chunks_are_sent_while_the_facts_pass_still_reads_and_every_contact_ends_with_all_its_orders(world, stores):
    store, server = stores(orders=5, seed=3, store_code="b2c")
    people = _customers(store, "repeat", 4)
    for n in range(40):  # every chunk of 10 holds orders of each of them
        store.create_order(people[n % 4])
    world.connect(store, server)
    app = world.app
    app.extensions["moulin.config"] = app.extensions["moulin.config"].with_overrides(backfill_facts_head_start_ms=0)
    gate = _FactsPassGate(head=10)  # the pass holds the first 10 orders' facts only, until two chunks have landed
    bootstrap.adapters(app).source_factory = gate
    seen: dict = {}

    def landed(_orders: int) -> None:
        seen["chunks"] = seen.get("chunks", 0) + 1
        if seen["chunks"] == 2:
            with app.extensions["moulin.db"].session() as session:
                seen["facts_done"] = session.scalar(select(SyncCheckpoint.done).where(
                    SyncCheckpoint.portal_id == world.portal_id, SyncCheckpoint.mode == "backfill_facts"))
            seen["deals"] = len(world.deals_by_key())
            gate.opened.set()

    world.run(backfill, world.portal_id, chunk=10, progress=landed)

    # Two chunks were in HubSpot while the pass was still reading (on main it read everything first).
    assert seen["facts_done"] is False and seen["deals"] == 20
    emails = [c["properties"]["email"] for c in world.objects("contacts")]
    assert len(emails) == len(set(emails))  # no contact twice, however often one was written
    contacts = {c["properties"]["email"]: c for c in world.objects("contacts")}
    deals = world.deals_by_key()
    assert len(deals) == 45
    for n, person in enumerate(people):
        contact = contacts[f"repeat{n}@example.com"]  # one contact each, with every one of its 10 orders counted
        assert contact["properties"]["moulin_orders_count"] == "10", contact
        theirs = [d for d in deals.values() if world.associations("deals", d["id"], "contacts") == [contact["id"]]]
        assert len(theirs) == 10
