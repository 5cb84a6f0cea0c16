"""A burst of store edits reaches a real worker as one gathered batch: each order written once, calls bounded."""
from __future__ import annotations

from collections import Counter

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
    # A window wide enough that the whole burst lands in it even on a busy machine: what is tested is the
    # gathering, not how fast eight pushes can be sent.
    stack.start_worker(PUSH_WINDOW_MS="3000")
    log = stack.hubspot.request_log
    log.reset()
    order_ids = [o["id"] for o in store.iter_raw("orders")][:ORDERS]
    for order_id in order_ids:
        assert apply_order_action(store, order_id, {"action": "add_line", "product": 1})
    for order_id in order_ids:  # the same orders again, within the window
        assert apply_order_action(store, order_id, {"action": "add_line", "product": 2})

    wait_for(lambda: len(_events(stack)) == 2 * ORDERS and all(e.processed_at for e in _events(stack)),
             "every pushed event to be processed", timeout=60)
    events = _events(stack)
    # The inbox's promises hold: each event processed once, without error, its copy of the record dropped.
    assert [e.error for e in events] == [None] * 2 * ORDERS
    assert all(e.payload["data"] == {"id": e.record_id} for e in events)

    deals = {r.properties.get("moulin_order_key"): r for r in stack.hubspot.objects(portal_id, "deals").values()}
    assert {f"b2c:{i}" for i in order_ids} <= set(deals)
    writes = Counter(e.path for e in log.entries() if e.method in ("POST", "PATCH", "PUT", "DELETE")
                     and e.path.startswith("/crm/v3/objects/deals"))
    # One planned deal write for the whole burst: each order (edited twice) written once, in one batch.
    assert sum(writes.values()) == 1, writes
    # The minimal plan of one batch: each batch endpoint at most once (deals, line items, their associations,
    # contacts...), so the burst costs no more calls than syncing these orders together, far below one per edit
    # (~5 calls per edit when planned one at a time).
    per_endpoint = Counter(f"{e.method} {e.path}" for e in log.entries() if e.portal_id == portal_id)
    assert max(per_endpoint.values()) == 1, per_endpoint
    assert sum(per_endpoint.values()) < 2 * ORDERS, per_endpoint
    assert all(e.claimed_until is None for e in events)  # every claim released with the batch
