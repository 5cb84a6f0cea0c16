"""A backfill whose worker is killed says so, and the next worker resumes it from its checkpoint."""
from __future__ import annotations

import json
import time

import pytest

from hubspot_app.db.models import MoulinStore
from tests.operator_support import operator_link

from .conftest import wait_for

pytestmark = pytest.mark.e2e


def _progress(stack, portal_id: int, store_id: int) -> dict:
    client = stack.app.test_client()
    client.get(operator_link(stack.app, portal_id).removeprefix("http://127.0.0.1"))
    response = client.get(f"/operator/{portal_id}/stores/{store_id}/progress")
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data())


def _settled(logged: list, quiet_s: float = 0.3) -> list:
    """The store's request log once nothing new came for `quiet_s`: a page asked for just before the kill reaches
    the log a moment after the worker is gone, and is not a request made meanwhile."""
    seen = list(logged)
    while True:
        time.sleep(quiet_s)
        if len(logged) == len(seen):
            return seen
        seen = list(logged)


def test_a_killed_backfill_is_shown_interrupted_then_resumes_from_its_checkpoint(stack):
    portal_id = stack.install()
    store = stack.endless_store("endless")
    store_id, _ = stack.connect(portal_id, store.store_code, store.url, "any-key")
    settings = {"SYNC_SLICE_PAGES": "2", "SYNC_LEASE_SECONDS": "3"}
    first = stack.start_worker(**settings)
    stack.enqueue("sync.backfill", portal_id, store.store_code)
    wait_for(lambda: store.pages() >= 8, "several slices of the backfill")
    first.kill()  # SIGKILL: no clean-up of any kind
    first.wait()
    served = _settled(store.order_requests)

    # Killed mid-slice, the lease runs out ("interrupted"); between slices, the next one waits in the queue.
    states = []
    wait_for(lambda: states.append(_progress(stack, portal_id, store_id)["state"]) or states[-1] != "running",
             "progress to stop saying running")
    assert states[-1] in ("interrupted", "queued"), states
    assert store.order_requests == served  # nothing runs it meanwhile

    stack.start_worker(**settings)
    wait_for(lambda: len(store.order_requests) > len(served), "the next worker to resume the backfill")
    resumed = store.order_requests[len(served)]
    # Resumed from the checkpoint (orders after those committed), not from the first order again.
    assert "cursor" not in resumed and resumed.get("updated_since")
    assert resumed["updated_since"] > "2020-01-01T00:01"  # past the first few pages of one-second-apart orders
    wait_for(lambda: _progress(stack, portal_id, store_id)["state"] == "running", "progress to say running again")
    with stack.db.session() as session:
        assert session.get(MoulinStore, store_id).code == "endless"
