"""One gathered batch at a time per store: a push that finds its store's batch running is left to that batch."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hubspot_app.db.models import MoulinEvent
from hubspot_app.sync.engine import setup_portal
from hubspot_app import extensions
from hubspot_app.sync.pushes import Claimed, _first_window_ms, handle_push

pytestmark = pytest.mark.db


@pytest.fixture
def store_with_events(world, stores):
    store, server = stores(orders=6, seed=11, store_code="b2c")
    store_id, _secret = world.connect(store, server)
    world.run(setup_portal, world.portal_id)
    order_ids = [o["id"] for o in store.iter_raw("orders")][:3]
    now = datetime.now(timezone.utc)
    with world.app.extensions["moulin.db"].session() as session:
        rows = [MoulinEvent(store_id=store_id, portal_id=world.portal_id, event_id=f"e{i}", type="order.updated",
                            record_id=order_id, payload={"data": {"id": order_id}}, received_at=now)
                for i, order_id in enumerate(order_ids)]
        rows[0].claimed_until = now + timedelta(minutes=5)  # another job's batch is running with this one
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def _event(world, row_id: int) -> MoulinEvent:
    with world.app.extensions["moulin.db"].session() as session:
        return session.get(MoulinEvent, row_id)


def test_a_push_finding_its_stores_batch_running_is_left_to_it(world, store_with_events):
    running, pending, _other = store_with_events
    world.state.request_log.reset()

    assert world.run(handle_push, pending) == {"skipped": "gathered by the running batch"}
    assert _event(world, pending).processed_at is None and _event(world, pending).claimed_until is None
    assert world.state.request_log.total() == 0  # nothing synced on its own


def test_a_retried_push_does_not_wait_for_the_running_batch(world, store_with_events):
    """A failed event is left out of the running batch's later claims: its retry must sync it itself."""
    _running, pending, other = store_with_events
    with world.app.extensions["moulin.db"].session() as session:
        session.get(MoulinEvent, pending).error = "HubSpot was down"

    result = world.run(handle_push, pending)
    assert result["events"] == 2 and result["orders"] == 2  # its own and the other pending one, in one batch
    assert _event(world, pending).processed_at is not None and _event(world, other).processed_at is not None


def test_a_push_arriving_right_after_its_stores_batch_ended_keeps_the_burst_window(world, store_with_events):
    """The batch's loop ends when nothing arrived while it ran; a push just after it still belongs to the burst,
    so it waits out the burst window (one batch per second), while a push after a pause keeps the short one."""
    running, pending, _other = store_with_events
    with world.app.extensions["moulin.db"].session() as session:
        session.get(MoulinEvent, running).claimed_until = None  # no other batch: this job syncs all three
    world.run(handle_push, pending)
    ended, store_id = _event(world, pending).processed_at, _event(world, pending).store_id
    short, burst = world.run(lambda: (extensions.config().push_window_ms, extensions.config().push_burst_window_ms))
    assert short < burst

    def window(after_ms: int) -> int:
        claimed = [Claimed(0, "order.updated", "o", ended + timedelta(milliseconds=after_ms))]
        return world.run(_first_window_ms, store_id, claimed)

    assert window(short // 3) == burst
    assert window(short + 200) == short
