"""Another portal's endless backfill never holds back a portal's push (a real worker process, not immediate mode)."""
from __future__ import annotations

import pytest

from hubspot_app.sync.engine import setup_portal
from sandbox.moulin import start_sample_store
from sandbox.serving import serve_in_thread

from .conftest import wait_for

pytestmark = pytest.mark.e2e


def test_a_push_reaches_hubspot_while_another_portal_backfills_endless_stores(stack):
    busy = stack.install()
    endless = [stack.endless_store(code) for code in ("endless-1", "endless-2")]
    for store in endless:
        stack.connect(busy, store.store_code, store.url, "any-key")
    quiet = stack.install()
    shop, shop_server = start_sample_store(orders=3, seed=5, store_code="b2c")
    stack.stores.append(shop_server)
    store_id, secret = stack.connect(quiet, "b2c", shop_server.url, shop.api_key)
    with stack.app.app_context():  # as the install does, before any import
        setup_portal(busy)
        setup_portal(quiet)
    app_server = serve_in_thread(stack.app)
    stack.stores.append(app_server)
    shop.push_to(f"{app_server.url}/moulin/push/{store_id}", secret)

    stack.start_worker()
    # Two endless backfills: as many as the worker has threads, enough to hold every one of them forever.
    for store in endless:
        stack.enqueue("sync.backfill", busy, store.store_code)
    wait_for(lambda: all(s.pages() >= 3 for s in endless), "both endless backfills to be under way")

    customer = next(c["id"] for c in shop.iter_raw("customers") if c.get("email"))
    created = shop.create_order(customer, lines=1)  # pushed, signed, to the app: stored and enqueued

    def pushed_deal():
        deals = stack.hubspot.objects(quiet, "deals").values()
        return [d for d in deals if d.properties.get("moulin_order_key") == f"b2c:{created['id']}"]

    wait_for(pushed_deal, "the pushed order's deal in HubSpot")
    pages_then = [s.pages() for s in endless]
    # Still reading after the push was served: the backfills were never stopped to make room for it. (Whether the
    # busy portal has deals yet is not asked: the worker's 5-minute poll may start in this minute and send some.)
    wait_for(lambda: all(s.pages() > then for s, then in zip(endless, pages_then)), "both backfills to go on")
