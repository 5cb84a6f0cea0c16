"""`moulin-hubspot demo --exit-after-sync --json`: the whole product on loopback, as a newcomer runs it."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hubspot_app.domain.records import Customer, parse_record
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
    # Issue 14: a share of recent orders carries HubSpot's tracking cookie; each one with a customer to
    # attribute is submitted once (the sandbox counts what it received), and its contact gets its source.
    sample = SampleStore(orders=300, seed=7)
    customers = {c.id: c for raw in sample.iter_raw("customers")
                 if isinstance(c := parse_record(Customer, raw), Customer)}
    tracked = [o for o in sample.live_orders() if o.tracking]
    eligible = [o for o in tracked if (c := customers.get(o.customer_id or "")) is not None and c.email]
    assert summary["orders_with_hutk"] == len(tracked) and eligible
    assert summary["form_submissions"] == len(eligible)
    assert 0 < summary["contacts_with_source"] <= len(eligible)
    assert "Backfill" in run.stderr  # the progress bar
    # the card preview: the sandbox's record page of a synced contact
    assert f"/contacts/{summary['portal_id']}/record/0-1/" in summary["card_url"]
    assert (tmp_path / "worker.log").exists()
