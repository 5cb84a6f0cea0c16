"""`moulin-hubspot demo --orders 300 --target both --exit-after-sync --json`: every live order is one deal and one
HubSpot order, none twice."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sandbox.moulin.store import SampleStore

pytestmark = pytest.mark.e2e


def test_demo_on_both_targets_has_one_deal_and_one_hubspot_order_per_live_order(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", "from hubspot_app.cli import main; main()", "demo", "--orders", "300",
         "--target", "both", "--exit-after-sync", "--json", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout)
    expected = SampleStore(orders=300, seed=7).count()["valid_orders"]
    assert summary["hubspot_orders"] == summary["deals"] == summary["orders"] == expected
    assert summary["duplicate_orders"] == summary["duplicate_deals"] == summary["failed_records"] == 0
