"""An edited order costs the calls of what changed: no product, association or contact sent again unchanged."""
from __future__ import annotations

from collections import Counter

import pytest

from hubspot_app.sync.backfill import backfill, poll
from sandbox.moulin.catalogue import PRODUCTS
from sandbox.moulin.edits import apply_order_action

pytestmark = pytest.mark.db


def test_a_line_added_to_an_order_sends_the_deal_the_line_and_its_association_only(world, stores):
    store, server = stores(orders=12, seed=5, store_code="b2c")
    world.connect(store, server)
    world.run(backfill, world.portal_id)
    order = next(o for o in store.live_orders() if o.status.value not in ("cart", "checkout") and o.customer_id)
    synced_skus = {line.sku for o in store.live_orders() for line in o.lines}
    # A product some order already used: the backfill wrote it with every variant, each a product of its own.
    known = next(p for p in range(len(PRODUCTS)) if store.gen.product(p)["variants"][0]["sku"] in synced_skus)
    world.state.request_log.reset()

    apply_order_action(store, order.id, {"action": "add_line", "product": known})
    world.run(poll, world.portal_id)

    writes = Counter(e.path for e in world.state.request_log.entries()
                     if e.portal_id == world.portal_id and e.method == "POST")
    assert writes["/crm/v3/objects/deals/batch/upsert"] == 1 and writes["/crm/v3/objects/line_items/batch/upsert"] == 1
    assert "/crm/v3/objects/products/batch/upsert" not in writes
    # The new line joins its deal; the deal's contact and company did not move, so they are not sent again.
    assert [p for p in writes if p.startswith("/crm/v4/associations/")] == [
        "/crm/v4/associations/line_items/deals/batch/create"]
