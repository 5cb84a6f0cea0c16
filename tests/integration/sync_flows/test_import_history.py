"""`moulin-hubspot import orders`: a history export lands in HubSpot as deals, once, however often it runs."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from hubspot_app.cli import main
from hubspot_app.hubspot.oauth import TokenSet
from hubspot_app.install.tokens import store_tokens
from sandbox.moulin.export import write_export

pytestmark = pytest.mark.db


def test_import_syncs_valid_orders_reports_bad_ones_and_is_idempotent(world, stores, make_config, tmp_path, hubspot):
    state, hubspot_server = hubspot
    store, server = stores(orders=60, seed=11, bad_records=0.1)
    world.connect(store, server)
    tokens = state.issue_tokens(world.portal_id)
    with world.app.extensions["moulin.db"].session() as session:
        from sqlalchemy import select

        from hubspot_app.db.models import Installation

        installation = session.scalar(select(Installation).where(Installation.portal_id == world.portal_id))
        store_tokens(installation, TokenSet(tokens["access_token"], tokens["refresh_token"], 1800),
                     world.app.extensions["moulin.cipher"], world.app.extensions["moulin.clock"]())
    config = world.app.extensions["moulin.config"]
    env = {"SECRET_KEY": "s", "HUBSPOT_CLIENT_ID": "i", "HUBSPOT_CLIENT_SECRET": "c", "APP_BASE_URL": "https://a.test",
           "TOKEN_ENCRYPTION_KEYS": config.token_encryption_keys[0], "DATABASE_URL": config.database_url,
           "HUBSPOT_API_BASE": hubspot_server.url, "QUEUE_IMMEDIATE": "1"}
    export, errors = tmp_path / "history.jsonl", tmp_path / "errors.tsv"
    write_export(store, export)
    counts = store.count()
    assert counts["bad_orders"] > 0  # the export really carries bad records

    first = CliRunner(env=env).invoke(main, ["import", "orders", str(export), "--store", store.store_code,
                                             "--errors", str(errors)])
    assert first.exit_code == 0, first.output
    assert f"{counts['valid_orders']} orders synced to portal {world.portal_id}" in first.stdout
    assert len(errors.read_text(encoding="utf-8").splitlines()) == counts["bad_orders"]
    deals = world.deals_by_key()  # asserts no duplicate
    assert set(deals) == {o.key for o in store.live_orders()}
    assert all(world.associations("deals", d["id"], "line_items") for d in deals.values())

    again = CliRunner(env=env).invoke(main, ["import", "orders", str(export), "--store", store.store_code])
    assert again.exit_code == 0, again.output
    assert set(world.deals_by_key()) == set(deals)
