"""A push reaches an idle real worker at once: the real-time queue never backs off to Huey's 10 s polling."""
from __future__ import annotations

import time

import pytest

from hubspot_app.db.models import MoulinEvent

from .conftest import wait_for

pytestmark = pytest.mark.e2e

# Huey's default back-off (0.1 s × 1.15 per empty poll, at most 10 s) has grown to 6-9 s after this long idle:
# a push would then wait up to that long for the next poll.
IDLE_S = 40
# The periodic sweeps run at each minute's start and reset the back-off: push late in a minute.
PUSH_AT_SECOND = 55


def _quiet_moment(started: float) -> float:
    """The first second :55 of a minute at least IDLE_S after `started` (the last reset: start or a sweep)."""
    at = started + IDLE_S
    return at + (PUSH_AT_SECOND - at % 60) % 60


def test_a_push_after_a_quiet_spell_is_picked_up_without_the_idle_back_off(stack):
    portal_id = stack.install()
    store = stack.endless_store("quiet")
    store_id, _ = stack.connect(portal_id, store.store_code, store.url, "any-key")
    # One polling thread (no second thread's luckier phase); no gathering window: only the pick-up is measured.
    worker = stack.start_worker(threads=1, PUSH_WINDOW_MS="0")
    time.sleep(_quiet_moment(time.time()) - time.time())  # the worker idles; its polling delay is under test
    assert worker.poll() is None
    with stack.db.session() as session:
        # A change that needs no HubSpot call: what is measured is the wait for the worker, not the sync.
        row = MoulinEvent(store_id=store_id, portal_id=portal_id, event_id="evt-quiet", type="company.updated",
                          record_id="co_1", payload={"id": "evt-quiet", "type": "company.updated",
                                                     "data": {"id": "co_1"}})
        session.add(row)
        session.flush()
        row_id = row.id
    stack.enqueue("sync.moulin_event", row_id)

    def processed():
        with stack.db.session() as session:
            event = session.get(MoulinEvent, row_id)
            return event if event.processed_at is not None else None

    event = wait_for(processed, "the push to be processed", timeout=30)
    # Both stamps are the app's (receipt by the web side, processing by the worker): the worker's own record of
    # how long the push waited. Bound: one 0.1 s poll + a trivial job + slack for a busy machine, far under the
    # 6-9 s the default back-off leaves between polls by now.
    waited_s = (event.processed_at - event.received_at).total_seconds()
    assert event.error is None
    assert waited_s < 1.0, f"push waited {waited_s:.2f} s for an idle worker"
