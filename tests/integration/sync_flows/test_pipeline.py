"""The sync's one pipeline against both sandboxes: no transaction open while HubSpot answers, every write a batch.

Counts come from the HubSpot sandbox's request log; nothing here measures time.
"""
from __future__ import annotations

import math
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from hubspot_app.sync.backfill import backfill, poll
from hubspot_app.sync.engine import setup_portal
from hubspot_app.sync.reconcile import reconcile
from hubspot_app.webhooks.events import ParsedEvent
from hubspot_app.webhooks.intake import accept_delivery

from .conftest import drop_world, installed_world


def writes_during(state, action) -> Counter:
    """HubSpot write requests (path -> count) made while `action` runs."""
    before = len(state.request_log.entries())
    action()
    return Counter(e.path for e in state.request_log.entries()[before:] if e.method == "POST"
                   and not e.path.endswith(("/batch/read", "/search")))


def deal_event(portal_id: int, n: int) -> ParsedEvent:
    raw = {"portalId": portal_id, "eventId": n, "subscriptionId": 1, "occurredAt": 1_700_000_000_000 + n,
           "subscriptionType": "deal.deletion", "objectId": 900_000 + n}
    return ParsedEvent(portal_id, "deal", "deletion", str(900_000 + n), raw["occurredAt"], None, raw)


def test_a_webhook_insert_never_waits_on_a_sync_that_is_calling_hubspot(make_config, hubspot, stores, tmp_path):
    """SQLite has one writer: a sync holding its write transaction across HubSpot calls makes the receiver wait
    until the sync's last call has been answered. Here the insert must be done while calls are still to come."""
    state, server = hubspot
    database = tmp_path / "pipeline.sqlite3"
    world = installed_world(make_config(hubspot_api_base=server.url, database_url=f"sqlite:///{database}"), state)
    store, store_server = stores(orders=30, seed=3, store_code="b2c")  # one chunk: one run of calls, then its write
    world.connect(store, store_server)
    world.run(setup_portal, world.portal_id)
    receiver = create_engine(f"sqlite:///{database}", connect_args={"timeout": 30})  # waits, as the app's does
    answered_before = state.request_log.total()
    state.latency_s = 1.0  # each HubSpot call of the sync is in flight for a second; the calls come in waves
    reports = []
    sync = threading.Thread(target=lambda: reports.append(world.run(backfill, world.portal_id)))
    sync.start()
    try:
        while state.request_log.total() == answered_before and sync.is_alive():
            time.sleep(0.01)
        # The sync's first wave has been answered; its later waves are still to come.
        with Session(receiver) as session, session.begin():
            stored = accept_delivery(session, [deal_event(world.portal_id, 1)]).stored
        answered_at_insert = state.request_log.total()
    finally:
        sync.join()
        state.latency_s = 0.0
        receiver.dispose()
    try:
        assert stored == 1
        assert answered_at_insert < state.request_log.total()  # the insert did not wait for the sync's calls
        assert reports[0]["stores"][0]["orders"] == 30
        assert len(world.deals_by_key()) == len(list(store.live_orders()))
    finally:
        drop_world(world)


@pytest.mark.db
def test_reconciling_vanished_orders_costs_a_batch_per_hundred_not_calls_per_order(world, stores):
    store, server = stores(orders=130, seed=5, store_code="b2c")
    world.connect(store, server)
    world.run(backfill, world.portal_id)
    deals = world.deals_by_key()
    vanished = [o for o in store.live_orders()][:120]
    lines = sum(len(o.lines) for o in vanished)
    for order in vanished:
        store.delete("orders", order.id)

    writes = writes_during(world.state, lambda: world.run(reconcile, world.portal_id))

    assert set(world.deals_by_key()) == {o.key for o in store.live_orders()}
    assert not {deals[o.key]["id"] for o in vanished} & {d["id"] for d in world.objects("deals")}
    assert writes["/crm/v3/objects/deals/batch/archive"] == math.ceil(120 / 100)
    assert writes["/crm/v3/objects/line_items/batch/archive"] == math.ceil(lines / 100)
    # the vanished orders' customers (at most 120), their aggregates recomputed and written by id
    assert 1 <= writes["/crm/v3/objects/contacts/batch/update"] <= 2
    removals = ("/crm/v3/objects/deals/batch/archive", "/crm/v3/objects/line_items/batch/archive",
                "/crm/v3/objects/contacts/batch/update")
    assert sum(n for path, n in writes.items() if path not in removals) <= 2, writes  # a constant, not per order


@pytest.mark.db
def test_known_and_new_contacts_cost_one_call_each_per_hundred(world, stores):
    store, server = stores(orders=5, seed=3, store_code="b2c")
    template = next(c for c in store.iter_raw("customers") if c.get("email"))

    def customer(n: int, kind: str) -> str:
        record = {**template, "id": f"cus_{kind}_{n}", "email": f"c{n:03}-{kind}@example.com", "company_id": None}
        store.save("customers", record, event="created")
        store.create_order(record["id"])
        return record["id"]

    known = [customer(n, "known") for n in range(60)]
    world.connect(store, server)
    world.run(backfill, world.portal_id)
    for n, customer_id in enumerate(known):
        store.update_customer(customer_id, {"first_name": f"Renamed {n}"})
        store.create_order(customer_id)
    for n in range(60):
        customer(n, "new")

    writes = writes_during(world.state, lambda: world.run(poll, world.portal_id))

    # 120 contacts in one sync: 60 HubSpot has (updated by id), 60 it has not (upserted by email), a batch each
    assert writes["/crm/v3/objects/contacts/batch/upsert"] == 1
    assert writes["/crm/v3/objects/contacts/batch/update"] == 1
    emails = {c["properties"]["email"]: c["properties"].get("firstname") for c in world.objects("contacts")}
    assert emails["c007-known@example.com"] == "Renamed 7" and "c007-new@example.com" in emails
