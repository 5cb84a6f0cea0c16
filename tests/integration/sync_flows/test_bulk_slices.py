"""Backfills run as bounded slices that re-enqueue themselves, under a per-portal cap (jobs inline: immediate mode)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hubspot_app.db.models import BulkJob, SyncCheckpoint
from hubspot_app.sync.engine import setup_portal

pytestmark = pytest.mark.db


@pytest.fixture
def one_page_slices(world):
    app = world.app
    app.extensions["moulin.config"] = app.extensions["moulin.config"].with_overrides(sync_slice_pages=1)
    return world


def test_a_backfill_goes_slice_by_slice_to_the_end(one_page_slices, stores, caplog):
    world = one_page_slices
    store, server = stores(orders=250, seed=3, store_code="b2c")
    world.connect(store, server)
    world.run(setup_portal, world.portal_id)
    with world.app.app_context():
        world.app.extensions["moulin.jobs"].enqueue("sync.backfill", world.portal_id, "b2c")
    slices = [r for r in caplog.records if r.getMessage() == "jobs.bulk.slice"]
    # 250 orders: the facts pass reads the store's largest pages (1,000: one page, all of it) and the first 100
    # are synced in the same slice, then 100, then 50 (the chunks read 100 per page).
    assert len(slices) == 3
    assert len(world.deals_by_key()) == store.count()["valid_orders"]
    with world.app.extensions["moulin.db"].session() as session:
        checkpoint = session.query(SyncCheckpoint).filter_by(mode="backfill").one()
        assert checkpoint.done and checkpoint.position >= 250  # an order at a slice boundary is read twice
        assert session.query(BulkJob).count() == 0  # done: the job's row is gone


def test_a_portal_over_its_bulk_job_cap_waits_its_turn(world, stores):
    store, server = stores(orders=5, seed=3, store_code="b2c")
    world.connect(store, server)
    with world.app.extensions["moulin.db"].session() as session:  # another of its jobs holds a live lease
        session.add(BulkJob(portal_id=world.portal_id, task="sync.backfill", key="other", token="t" * 32,
                            state="running", lease_until=datetime.now(timezone.utc) + timedelta(minutes=5)))
    queue = world.app.extensions["moulin.jobs"]
    with world.app.app_context():
        queue.enqueue("sync.backfill", world.portal_id, "b2c")
    assert world.deals_by_key() == {}
    assert len(queue.bulk.scheduled()) == 1  # deferred, its thread freed
    with world.app.extensions["moulin.db"].session() as session:
        waiting = session.query(BulkJob).filter_by(key="b2c").one()
        assert waiting.state == "queued"


def test_a_poll_leaves_a_store_whose_backfill_is_still_to_run_to_that_backfill(world, stores):
    store, server = stores(orders=20, seed=3, store_code="b2c")
    world.connect(store, server)
    world.run(setup_portal, world.portal_id)
    database, queue = world.app.extensions["moulin.db"], world.app.extensions["moulin.jobs"]
    with database.session() as session:  # the store's backfill waits its turn (every bulk thread busy)
        session.add(BulkJob(portal_id=world.portal_id, task="sync.backfill", key="b2c", token="t" * 32,
                            state="queued"))
    calls = world.state.request_log.total()
    with world.app.app_context():
        queue.enqueue("sync.poll", world.portal_id)
    # Before: the poll read the store's whole history and synced it beside the backfill.
    assert world.deals_by_key() == {} and world.state.request_log.total() == calls

    with database.session() as session:  # a store with no backfill to come is polled as before
        session.query(BulkJob).filter_by(task="sync.backfill").delete()
    with world.app.app_context():
        queue.enqueue("sync.poll", world.portal_id)
    assert len(world.deals_by_key()) == store.count()["valid_orders"]
