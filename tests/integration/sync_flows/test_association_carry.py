"""A backfill's chunks carry their partly filled association batches into the next chunk (`sync.overlap`).

Counts come from the HubSpot sandbox's request log and the app's database; nothing here measures time.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hubspot_app.db.models import ObjectLink
from hubspot_app.db.models.sync import SyncCheckpoint
from hubspot_app.sync.backfill import backfill

from .test_sync_flows import assert_matches

pytestmark = pytest.mark.db

ASSOCIATE = "/crm/v4/associations/{}/{}/batch/create"


class Killed(BaseException):
    """Like SIGKILL for the code under test: not an Exception, nothing catches it."""


def _association_calls(world, since: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in world.state.request_log.entries()[since:]:
        if entry.method == "POST" and entry.path.startswith("/crm/v4/associations/"):
            counts[entry.path] = counts.get(entry.path, 0) + 1
    return counts


def _every_line_item_on_its_deal(world, store) -> None:
    deals = world.deals_by_key()
    for line_item in world.objects("line_items"):
        order_key = line_item["properties"]["moulin_line_key"].rsplit(":", 1)[0]
        assert world.associations("line_items", line_item["id"], "deals") == [deals[order_key]["id"]]


def _links_without_hash(world) -> int:
    with world.app.app_context(), world.app.extensions["moulin.db"].session() as session:
        return session.scalar(select(func.count()).select_from(ObjectLink).where(
            ObjectLink.portal_id == world.portal_id, ObjectLink.kind.in_(("deal", "line_item")),
            ObjectLink.content_hash.is_(None)))


def test_small_chunks_send_each_kind_of_association_in_one_batch(world, stores):
    store, server = stores(orders=40, seed=3, store_code="b2c")
    world.connect(store, server)
    before = len(world.state.request_log.entries())

    report = world.run(backfill, world.portal_id, chunk=10)

    assert report["stores"][0]["chunks"] == 4
    # Under 2,000 pairs of each kind in all: one batch per kind for the whole run, not one per chunk.
    calls = _association_calls(world, before)
    assert calls[ASSOCIATE.format("line_items", "deals")] == 1, calls
    assert calls[ASSOCIATE.format("deals", "contacts")] == 1, calls
    assert max(calls.values()) == 1, calls
    assert_matches(world, store)
    _every_line_item_on_its_deal(world, store)
    assert _links_without_hash(world) == 0  # every carried owner got its hash once its association landed


def test_a_run_killed_after_a_chunk_that_carried_reads_that_chunk_again_and_loses_nothing(world, stores):
    store, server = stores(orders=30, seed=23, store_code="b2c")
    world.connect(store, server)

    def killed_after_the_first_chunk(_orders: int) -> None:
        raise Killed()  # chunk 1 is written; the chunk that would send its carried associations never runs

    with pytest.raises(Killed), world.app.app_context():
        backfill(world.portal_id, chunk=10, progress=killed_after_the_first_chunk)
    with world.app.app_context(), world.app.extensions["moulin.db"].session() as session:
        cp = session.scalar(select(SyncCheckpoint).filter_by(portal_id=world.portal_id, mode="backfill"))
        assert cp.position == 0  # chunk 1 carried: the checkpoint stays before it
    assert _links_without_hash(world) > 0  # its line items and deals wait for their associations
    assert not any(world.associations("line_items", li["id"], "deals") for li in world.objects("line_items"))

    world.run(backfill, world.portal_id, chunk=10)

    assert_matches(world, store)
    _every_line_item_on_its_deal(world, store)
    assert _links_without_hash(world) == 0
