"""Nightly reconciliation heals drift; jobs record dead letters; the backfill CLI."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from hubspot_app.cli import main as cli
from hubspot_app.db.models.sync import SyncError
from hubspot_app.sync.backfill import backfill
from hubspot_app.sync.reconcile import reconcile

from .test_sync_flows import assert_matches

pytestmark = pytest.mark.db


def test_reconcile_heals_edits_and_deletions_made_in_hubspot_and_missed_moulin_deletions(world, stores):
    store, server = stores(orders=20, seed=31, store_code="b2c")
    world.connect(store, server)
    world.run(backfill, world.portal_id)
    deals = world.deals_by_key()
    keys = sorted(deals)
    edited, deleted, gone = keys[0], keys[1], keys[2]
    world.state.user_update(world.portal_id, "deals", deals[edited]["id"], {"amount": "0.01"})
    world.state.user_delete(world.portal_id, "deals", deals[deleted]["id"])
    store.delete("orders", gone.split(":", 1)[1])  # and its deletion event was lost

    report = world.run(reconcile, world.portal_id)
    assert report["healed"] == 2 and report["archived"] == 1
    healed = assert_matches(world, store)[0]
    assert gone not in healed
    assert healed[edited]["id"] == deals[edited]["id"]  # updated in place, not re-created

    again = world.run(reconcile, world.portal_id)
    assert again["healed"] == 0 and again["archived"] == 0


def test_failed_job_leaves_a_dead_letter_and_is_not_retried_when_permanent(world):
    queue = world.app.extensions["moulin.jobs"]
    with world.app.app_context():
        queue.enqueue("sync.backfill", world.portal_id, "no-such-store")
    with world.app.extensions["moulin.db"].session() as session:
        [row] = session.query(SyncError).filter_by(portal_id=world.portal_id, kind="job").all()
        assert "no-such-store" in row.message and row.attempts == 1 and row.resolved_at is None


def test_backfill_cli_builds_the_app_from_the_environment(world, monkeypatch):
    config = world.app.extensions["moulin.config"]
    for name, value in {"SECRET_KEY": "k", "HUBSPOT_CLIENT_ID": "c", "HUBSPOT_CLIENT_SECRET": "s",
                        "APP_BASE_URL": "https://app.test", "TOKEN_ENCRYPTION_KEYS": config.token_encryption_keys[0],
                        "DATABASE_URL": config.database_url, "HUBSPOT_API_BASE": config.hubspot_api_base,
                        "QUEUE_IMMEDIATE": "1"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["sync", "backfill", "--portal", str(world.portal_id), "--store", "nope"])
    assert result.exit_code == 1
    assert f"portal {world.portal_id} has no store 'nope'" in result.output
