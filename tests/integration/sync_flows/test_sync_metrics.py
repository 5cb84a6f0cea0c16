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
    # The registry lives as long as the process, and every sandbox numbers its first portal alike: compare deltas.
    labels = [("deal", "synced"), ("moulin_record", "failed"), ("deal", "failed")]
    before = [counted(world.portal_id, *label) for label in labels]
    world.run(backfill, world.portal_id)
    deals, bad_records, failed_deals = (counted(world.portal_id, *label) - b for label, b in zip(labels, before))
    assert deals == counts["valid_orders"] == len(world.deals_by_key())
    assert bad_records >= counts["bad_orders"] > 0
    assert failed_deals == 0
