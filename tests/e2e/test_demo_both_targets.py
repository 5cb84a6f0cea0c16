"""`moulin-hubspot demo --orders 300 --target both --exit-after-sync --json`: every live order is one deal and one
HubSpot order, none twice, and every open or abandoned checkout is one HubSpot cart. One demo run for both checks."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hubspot_app.domain.stages import is_open_checkout
from sandbox.moulin.store import SampleStore

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    run = subprocess.run(
        [sys.executable, "-c", "from hubspot_app.cli import main; main()", "demo", "--orders", "300",
         "--target", "both", "--exit-after-sync", "--json", "--workdir", str(tmp_path_factory.mktemp("demo"))],
        capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_one_deal_and_one_hubspot_order_per_live_order(summary):
    expected = SampleStore(orders=300, seed=7).count()["valid_orders"]
    assert summary["hubspot_orders"] == summary["deals"] == summary["orders"] == expected
    assert summary["duplicate_orders"] == summary["duplicate_deals"] == summary["failed_records"] == 0


def test_one_cart_per_open_checkout(summary):
    checkouts = [o for o in SampleStore(orders=300, seed=7).live_orders() if is_open_checkout(o)]
    assert checkouts  # the sample store has open and abandoned checkouts
    assert summary["carts"] == len(checkouts)
