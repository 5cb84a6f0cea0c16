"""Nightly reconciliation heals drift; jobs record dead letters; the backfill CLI."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from hubspot_app.cli import main as cli
from hubspot_app.db.models.sync import SyncError
from hubspot_app.sync.backfill import backfill
from hubspot_app.sync.reconcile import reconcile
from hubspot_app import bootstrap

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


def _install_tokens(world):
    from datetime import datetime, timezone

    from hubspot_app.db.models import Installation
    from hubspot_app.hubspot.oauth import TokenSet
    from hubspot_app.install.tokens import store_tokens

    issued = world.state.issue_tokens(world.portal_id)
    with world.app.extensions["moulin.db"].session() as session:
        installation = session.query(Installation).filter_by(portal_id=world.portal_id).one()
        store_tokens(installation, TokenSet(access_token=issued["access_token"], refresh_token=issued["refresh_token"],
                                            expires_in=issued["expires_in"]),
                     world.app.extensions["moulin.cipher"], datetime.now(timezone.utc))


def test_backfill_cli_builds_the_app_from_the_environment(world, stores, monkeypatch):
    store, server = stores(orders=6, seed=37, store_code="b2c")
    world.connect(store, server)
    _install_tokens(world)
    config = world.app.extensions["moulin.config"]
    for name, value in {"SECRET_KEY": "k", "HUBSPOT_CLIENT_ID": "c", "HUBSPOT_CLIENT_SECRET": "s",
                        "APP_BASE_URL": "https://app.test", "TOKEN_ENCRYPTION_KEYS": config.token_encryption_keys[0],
                        "DATABASE_URL": config.database_url, "HUBSPOT_API_BASE": config.hubspot_api_base,
                        "QUEUE_IMMEDIATE": "1", "ALLOW_PRIVATE_STORE_URLS": "1"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["sync", "backfill", "--portal", str(world.portal_id), "--store", "nope"])
    assert result.exit_code == 1
    assert f"portal {world.portal_id} has no store 'nope'" in result.output

    result = CliRunner().invoke(cli, ["sync", "backfill", "--portal", str(world.portal_id), "--store", "b2c"])
    assert result.exit_code == 0, result.output
    assert '"orders": %d' % len(list(store.live_orders())) in result.output
    assert_matches(world, store)


def test_sync_uses_the_installed_tokens_when_no_provider_is_injected(world, stores):
    from hubspot_app import bootstrap

    store, server = stores(orders=5, seed=43, store_code="b2c")
    world.connect(store, server)
    _install_tokens(world)
    bootstrap.adapters(world.app).token_provider = None
    world.run(backfill, world.portal_id)
    assert_matches(world, store)


def test_transient_job_failure_is_scheduled_for_retry_and_recorded(world, stores):
    store, server = stores(orders=3, seed=47, store_code="b2c")
    world.connect(store, server)
    server.stop()  # Moulin unreachable: transient
    queue = world.app.extensions["moulin.jobs"]
    with world.app.app_context():
        queue.enqueue("sync.customer", world.portal_id, "someone@example.com")
    with world.app.extensions["moulin.db"].session() as session:
        [row] = session.query(SyncError).filter_by(portal_id=world.portal_id, kind="job").all()
        assert row.message.startswith("MoulinDown") and row.resolved_at is None
    [retry] = queue.huey.scheduled()
    assert retry.name == "sync.customer" and retry.retries == 4  # Huey will run it again, 60 s later
