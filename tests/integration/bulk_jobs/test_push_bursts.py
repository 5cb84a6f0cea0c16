"""A burst of store edits reaches a real worker as one gathered batch: each order written once, calls bounded."""
from __future__ import annotations

import json

import pytest

from hubspot_app.db.models import MoulinEvent
from hubspot_app.sync.engine import setup_portal
from sandbox.moulin import start_sample_store
from sandbox.moulin.edits import apply_order_action
from sandbox.serving import serve_in_thread

from .conftest import wait_for

pytestmark = pytest.mark.e2e

ORDERS = 6  # each edited twice: 12 pushes


@pytest.fixture
def pushing(stack):
    portal_id = stack.install()
    store, store_server = start_sample_store(orders=8, seed=29, store_code="b2c")
    stack.stores.append(store_server)
    store_id, secret = stack.connect(portal_id, store.store_code, store_server.url, store.api_key)
    with stack.app.app_context():
        setup_portal(portal_id)
    app_server = serve_in_thread(stack.app)
    stack.stores.append(app_server)
    store.push_to(f"{app_server.url}/moulin/push/{store_id}", secret)
    return portal_id, store


def _events(stack) -> list[MoulinEvent]:
    with stack.db.session() as session:
        return session.query(MoulinEvent).order_by(MoulinEvent.id).all()


def test_a_burst_of_edits_is_synced_as_one_batch_each_order_written_once(stack, pushing):
    portal_id, store = pushing
    order_ids = [o["id"] for o in store.iter_raw("orders")][:ORDERS]
    for order_id in order_ids:
        assert apply_order_action(store, order_id, {"action": "add_line", "product": 1})
    for order_id in order_ids:  # the same orders again
        assert apply_order_action(store, order_id, {"action": "add_line", "product": 2})
    # The whole burst is stored, its jobs queued, before a worker runs: what is tested is that the pending pushes
    # of a store are planned as one batch, not how fast a loaded machine sends twelve pushes into a window.
    wait_for(lambda: len(_events(stack)) == 2 * ORDERS, "every push to be stored", timeout=60)
    stack.start_worker(PUSH_WINDOW_MS="300")

    wait_for(lambda: len(_events(stack)) == 2 * ORDERS and all(e.processed_at for e in _events(stack)),
             "every pushed event to be processed", timeout=60)
    events = _events(stack)
    # The inbox's promises hold: each event processed once, without error, its copy of the record dropped.
    assert [e.error for e in events] == [None] * 2 * ORDERS
    assert all(e.payload["data"] == {"id": e.record_id} for e in events)

    deals = {r.properties.get("moulin_order_key"): r for r in stack.hubspot.objects(portal_id, "deals").values()}
    assert {f"b2c:{i}" for i in order_ids} <= set(deals)
    # The worker's own account of its batches (its periodic jobs may call HubSpot meanwhile: abandoned checkouts,
    # polls): the twelve pushes were one batch, the six orders each read and written once in it.
    batches = [json.loads(line) for line in (stack.tmp_path / "worker.log").read_text().splitlines()
               if '"sync.push.batch_done"' in line]
    assert [(b["events"], b["orders"]) for b in batches] == [(2 * ORDERS, ORDERS)], batches
    # The minimal plan of one batch (deals, line items, their associations, contacts...): far below the ~5 calls
    # per edit of planning pushes one at a time.
    assert batches[0]["hubspot_calls"] < 2 * ORDERS, batches
    assert all(e.claimed_until is None for e in events)  # every claim released with the batch
