"""/metrics' `moulin_sync_records_total` follows what the sync wrote and what it could not."""
from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from hubspot_app.sync.backfill import backfill

pytestmark = pytest.mark.db


def counted(portal_id: int, kind: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("moulin_sync_records_total",
                                     {"portal_id": str(portal_id), "kind": kind, "outcome": outcome}) or 0.0


def test_backfill_counts_synced_deals_and_bad_moulin_records(world, stores):
    store, server = stores(orders=40, seed=5, bad_records=0.1)
    world.connect(store, server)
    counts = store.count()
    world.run(backfill, world.portal_id)
    assert counted(world.portal_id, "deal", "synced") == counts["valid_orders"] == len(world.deals_by_key())
    assert counted(world.portal_id, "moulin_record", "failed") >= counts["bad_orders"] > 0
    assert counted(world.portal_id, "deal", "failed") == 0
