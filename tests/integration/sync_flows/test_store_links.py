"""Links both ways: after a sync the store receives its orders' deals and its customers' contacts, once per change.

Both sandboxes over loopback HTTP; what the sample store received is counted on its side.
"""
from __future__ import annotations

import pytest
import requests

from hubspot_app.sync.backfill import backfill, poll
from hubspot_app.sync.engine import sync_customer_orders
from hubspot_app.sync.links_delivery import JOB, deliver_links

from .conftest import drop_world, installed_world
from .test_webhooks_contract import hooked  # noqa: F401 - the fixture: both sandboxes, webhooks delivered

pytestmark = pytest.mark.db


def test_a_store_that_takes_links_receives_each_deal_once_per_change(world, stores):
    store, server = stores(orders=30, seed=11, store_code="b2c", hubspot_links=True)
    world.connect(store, server)
    world.run(backfill, world.portal_id, chunk=10)

    deals = world.deals_by_key()
    orders = {o.id: o for o in store.live_orders()}
    assert orders and all(f"b2c:{order_id}" in deals for order_id in orders)
    for order_id in orders:
        received = store.links.received_for("orders", order_id)
        deal_id = deals[f"b2c:{order_id}"]["id"]
        assert [links["deal"]["id"] for links in received] == [deal_id], order_id
        assert received[0]["deal"]["url"].endswith(f"/contacts/{world.portal_id}/record/0-3/{deal_id}")
        assert received[0]["order"] is None  # the HubSpot order object is not written (yet)
        assert received[0]["portal_id"] == world.portal_id
    contact_ids = {c["properties"]["email"]: c["id"] for c in world.objects("contacts")}
    customer = next(o.customer_id for o in orders.values()
                    if (c := store.get("customers", o.customer_id)) and c.get("email"))
    email = store.get("customers", customer)["email"].strip().lower()
    assert store.links.received_for("customers", customer)[-1]["contact"]["id"] == contact_ids[email]

    # Nothing changed in HubSpot's ids: a new poll, a status edit, a Refresh send nothing again.
    before = len(store.links.received)
    order = next(iter(orders))
    edited = requests.post(f"{server.url}/_admin/orders/{order}", json={"action": "set_status", "status": "shipped"},
                           timeout=5)
    assert edited.status_code == 200, edited.text
    world.run(poll, world.portal_id)
    world.run(sync_customer_orders, world.portal_id, email)
    assert len(store.links.received) == before

    # The customer's email changes: the contact (keyed by the Moulin customer) stays, so nothing is sent again.
    store.update_customer(customer, {"email": "new.address@example.org"})
    world.run(sync_customer_orders, world.portal_id, "new.address@example.org")
    assert len(store.links.received) == before


def test_a_deal_made_again_in_hubspot_is_sent_once_more_and_a_late_capability_gets_the_backlog(hooked):
    store = hooked.store
    assert store.links.requests == 0  # the backfill's links are kept for later: the store did not take them
    store.links.enabled = True  # the back office is upgraded
    order = hooked.orders_of_distinct_customers(1)[0]
    hooked.order_changes(order)
    deals = hooked.world.deals_by_key()
    for live in store.live_orders():  # the whole backlog, once
        assert [links["deal"]["id"] for links in store.links.received_for("orders", live.id)] == \
            [deals[live.key]["id"]]

    deal_id = deals[order.key]["id"]
    hooked.world.state.user_delete(hooked.portal_id, "deals", deal_id)
    hooked.flush()
    hooked.settings(recreate_deleted_deals=True)
    hooked.order_changes(order, amount="2.00")
    new_deal = hooked.world.deals_by_key()[order.key]["id"]
    assert new_deal != deal_id
    assert [links["deal"]["id"] for links in store.links.received_for("orders", order.id)] == [deal_id, new_deal]
    for other in store.live_orders():
        if other.id != order.id:
            assert len(store.links.received_for("orders", other.id)) == 1, other.id


@pytest.fixture
def world_on_sandbox_app(make_config, hubspot):
    """The demo's set-up: HubSpot's app host (HUBSPOT_AUTH_BASE) is the sandbox too, so record links open there."""
    state, server = hubspot
    world = installed_world(make_config(hubspot_api_base=server.url, hubspot_auth_base=server.url), state)
    yield world, server
    drop_world(world)


def test_links_open_the_deal_on_the_hubspot_app_host_and_the_back_office_shows_them(world_on_sandbox_app, stores):
    world, hubspot_server = world_on_sandbox_app
    store, server = stores(orders=3, seed=2, store_code="b2c", hubspot_links=True)
    world.connect(store, server)
    world.run(backfill, world.portal_id)
    deals = {d["id"]: d for d in world.objects("deals")}
    urls = [links["deal"]["url"] for _, _, links in store.links.received if links.get("deal")]
    assert len(urls) == len(deals)
    for url in urls:
        assert url.startswith(f"{hubspot_server.url}/contacts/{world.portal_id}/record/0-3/")
        page = requests.get(url, timeout=5)
        assert page.status_code == 200
        assert deals[url.rsplit("/", 1)[1]]["properties"]["dealname"] in page.text
    page = requests.get(f"{server.url}/_admin/hubspot-links", timeout=5)
    assert page.status_code == 200 and all(url in page.text for url in urls)  # the back office shows the links


def test_a_store_without_the_capability_is_never_sent_links(world, stores):
    store, server = stores(orders=12, seed=4, store_code="b2c")
    world.connect(store, server)
    world.run(backfill, world.portal_id)
    assert world.deals_by_key()
    assert store.links.requests == 0 and store.links.received == []
    assert not world.open_errors()


def test_a_failing_links_endpoint_leaves_the_sync_green_and_sends_later(world, stores):
    store, server = stores(orders=12, seed=4, store_code="b2c", hubspot_links=True)
    world.connect(store, server)
    store.links.fail_with = 500
    report = world.run(backfill, world.portal_id)
    assert report["stores"][0].get("error") is None
    deals = world.deals_by_key()
    assert {f"b2c:{o.id}" for o in store.live_orders()} == set(deals)
    assert store.links.requests >= 1 and store.links.received == []
    errors = world.open_errors()
    assert [e for e in errors if e.startswith(f"job {JOB}:{world.portal_id}:b2c")], errors
    assert all(e.startswith("job") for e in errors)  # no record of the sync failed

    store.links.fail_with = None
    assert world.run(deliver_links, world.portal_id, "b2c")["sent"] > 0  # what the operator's Retry runs
    for order in store.live_orders():
        assert [links["deal"]["id"] for links in store.links.received_for("orders", order.id)] == \
            [deals[f"b2c:{order.id}"]["id"]]
