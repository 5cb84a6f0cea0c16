"""`moulin-hubspot demo --exit-after-sync --json`: the whole product on loopback, as a newcomer runs it."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sandbox.moulin.store import SampleStore

pytestmark = pytest.mark.e2e


def test_demo_installs_and_syncs_every_live_order_once(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", "from hubspot_app.cli import main; main()", "demo", "--orders", "300",
         "--exit-after-sync", "--json", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout)
    expected = SampleStore(orders=300, seed=7).count()["valid_orders"]
    assert summary["orders"] == expected
    assert summary["deals"] == expected
    assert summary["duplicate_deals"] == 0 and summary["failed_records"] == 0
    assert summary["line_items"] >= summary["deals"] and summary["contacts"] > 0 and summary["products"] > 0
    assert summary["companies"] > 0  # the sample store has B2B orders
    assert summary["hubspot_calls"] > 0 and summary["portal_id"] > 0
    assert "Backfill" in run.stderr  # the progress bar
    # the card preview: the sandbox's record page of a synced contact
    assert f"/contacts/{summary['portal_id']}/record/0-1/" in summary["card_url"]
    assert (tmp_path / "worker.log").exists()
