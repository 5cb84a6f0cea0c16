"""A backfill plans its next chunk while the current chunk's HubSpot calls are in flight (`sync.overlap`).

Counts come from the HubSpot sandbox's request log and the app's database; nothing here measures time.
"""
from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from hubspot_app.db.models import ObjectLink
from hubspot_app.db.models.sync import SyncedCustomer
from hubspot_app.sync.backfill import backfill
from hubspot_app.sync.engine import setup_portal


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
    world.run(setup_portal, world.portal_id)  # set up before HubSpot slows down: only the chunks' calls wait
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
