"""`moulin-hubspot import orders`: a history export lands in HubSpot as deals, once, however often it runs."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hubspot_app.cli import main
from hubspot_app.db.models import Installation
from hubspot_app.hubspot.oauth import TokenSet
from hubspot_app.install.tokens import store_tokens
from sandbox.moulin.export import write_export

pytestmark = pytest.mark.db


def cli_env(world, stores, hubspot, **store_options):
    """A store connected to the world's portal, tokens stored as the install leaves them, and the CLI's env."""
    state, hubspot_server = hubspot
    store, server = stores(**store_options)
    world.connect(store, server)
    tokens = state.issue_tokens(world.portal_id)
    with world.app.extensions["moulin.db"].session() as session:
        installation = session.scalar(select(Installation).where(Installation.portal_id == world.portal_id))
        store_tokens(installation, TokenSet(tokens["access_token"], tokens["refresh_token"], 1800),
                     world.app.extensions["moulin.cipher"], world.app.extensions["moulin.clock"]())
    config = world.app.extensions["moulin.config"]
    return store, {"SECRET_KEY": "s", "HUBSPOT_CLIENT_ID": "i", "HUBSPOT_CLIENT_SECRET": "c",
                   "APP_BASE_URL": "https://a.test", "TOKEN_ENCRYPTION_KEYS": config.token_encryption_keys[0],
                   "DATABASE_URL": config.database_url, "HUBSPOT_API_BASE": hubspot_server.url,
                   "QUEUE_IMMEDIATE": "1", "ALLOW_PRIVATE_STORE_URLS": "1"}


def test_import_syncs_valid_orders_reports_bad_ones_and_is_idempotent(world, stores, tmp_path, hubspot):
    store, env = cli_env(world, stores, hubspot, orders=60, seed=11, bad_records=0.1)
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


def test_values_out_of_range_are_per_record_errors_in_the_import_and_in_dry_run(world, stores, tmp_path, hubspot):
    """0001-01-01T00:00:00+14:00 has no UTC value; 10**30 fits no INTEGER column: each is one record's error."""
    store, env = cli_env(world, stores, hubspot, orders=20, seed=5)
    export, errors = tmp_path / "history.jsonl", tmp_path / "errors.tsv"
    write_export(store, export)
    valid = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    bad = {"early": {"created_at": "0001-01-01T00:00:00+14:00"}, "late": {"updated_at": "9999-12-31T23:00:00-14:00"},
           "many": {"lines": [{**valid[0]["lines"][0], "quantity": 10**30}]},
           "heavy": {"total_weight_grams": 10**30}, "long-id-" + "x" * 200: {}}
    with export.open("a", encoding="utf-8") as handle:
        for order_id, change in bad.items():
            handle.write(json.dumps({**valid[0], "id": order_id, **change}) + "\n")

    dry = CliRunner().invoke(main, ["import", "orders", str(export), "--store", store.store_code, "--dry-run"])
    assert f"{len(valid) + len(bad)} orders read, {len(valid)} valid, {len(bad)} with errors" in dry.stdout
    real = CliRunner(env=env).invoke(main, ["import", "orders", str(export), "--store", store.store_code,
                                            "--errors", str(errors)])
    assert real.exit_code == 0, real.output
    assert f"{len(valid)} orders synced to portal {world.portal_id}" in real.stdout
    report = errors.read_text(encoding="utf-8")
    assert [line.split("\t")[1] for line in report.splitlines()] == list(bad)
    assert "out of range" in report and "less than or equal to 2147483647" in report
    assert set(world.deals_by_key()) == {f"{store.store_code}:{order['id']}" for order in valid}
