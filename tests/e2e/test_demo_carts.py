"""`moulin-hubspot demo --orders 300 --target both --exit-after-sync --json`: the store's open and abandoned
checkouts are HubSpot carts, once each, beside its orders."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hubspot_app.sync.stages import is_open_checkout
from sandbox.moulin.store import SampleStore

pytestmark = pytest.mark.e2e


def test_demo_on_both_targets_has_a_cart_per_open_checkout(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", "from hubspot_app.cli import main; main()", "demo", "--orders", "300",
         "--target", "both", "--exit-after-sync", "--json", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout)
    checkouts = [o for o in SampleStore(orders=300, seed=7).live_orders() if is_open_checkout(o)]
    assert checkouts  # the sample store has open and abandoned checkouts
    assert summary["carts"] == len(checkouts)
    assert summary["failed_records"] == 0
