"""The first import for real: the browser starts it, the sync engine runs it against the HubSpot sandbox.

Everything runs over loopback HTTP: the app, the HubSpot sandbox, a sample Moulin
store. The installation row carries tokens the sandbox issued, as the OAuth
callback would store them, so the engine goes through the real token service.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from hubspot_app import create_app
from hubspot_app.db.base import Base
from hubspot_app.db.models import Installation
from sandbox.hubspot import start_sandbox
from sandbox.moulin import start_sample_store
from sandbox.serving import serve_app_in_thread
from tests.browser_support import screenshot
from tests.operator_support import operator_link

pytestmark = pytest.mark.e2e
ORDERS = 12


@pytest.fixture
def hubspot():
    state, server = start_sandbox()
    yield state, server.url
    server.stop()


@pytest.fixture
def moulin():
    _store, server = start_sample_store(orders=ORDERS, api_key="key", store_code="b2c", name="Boutique Moulin")
    yield server.url
    server.stop()


@pytest.fixture
def live(make_config, hubspot):
    state, hubspot_url = hubspot
    app, server = serve_app_in_thread(
        lambda url: create_app(make_config(app_base_url=url, hubspot_api_base=hubspot_url)))
    database, cipher = app.extensions["moulin.db"], app.extensions["moulin.cipher"]
    Base.metadata.drop_all(database.engine)
    database.create_all()
    portal_id = state.create_portal()
    tokens = state.issue_tokens(portal_id)
    with database.session() as session:
        session.add(Installation(portal_id=portal_id, status="active", scopes=" ".join(tokens.get("scopes", [])),
                                 access_token_enc=cipher.encrypt(tokens["access_token"]),
                                 refresh_token_enc=cipher.encrypt(tokens["refresh_token"]),
                                 access_expires_at=datetime.now(timezone.utc) + timedelta(minutes=30)))
    yield app, server.url, state, portal_id
    server.stop()
    Base.metadata.drop_all(database.engine)
    database.dispose()


def test_connect_then_import_lands_every_order_in_hubspot(live, moulin, page):
    app, base, state, portal_id = live
    page.goto(operator_link(app, portal_id))
    page.fill("#code", "b2c")
    page.fill("#name", "Boutique")
    page.fill("#api_url", moulin)
    page.fill("#api_key", "key")
    page.click("text=Test and connect")
    expect(page.locator("#push-secret")).to_be_visible()

    page.goto(f"{base}/operator/{portal_id}/")
    page.click("text=Start import")  # the test queue runs jobs inline: the import is over when the page returns
    expect(page.locator(".progress")).to_contain_text(f"Done: {ORDERS} orders imported")
    screenshot(page, "operator-10-real-import-done")

    deals = [r for r in state.objects(portal_id, "deals").values() if not r.archived]
    keys = {d.properties["moulin_order_key"] for d in deals}
    assert len(deals) == len(keys) == ORDERS  # one deal per order, no duplicate
    assert all(key.startswith("b2c:") for key in keys)

    page.click("text=Sync health")
    expect(page.locator("#summary")).to_contain_text("Healthy")
    expect(page.locator("text=deals: 12")).to_be_visible()
    screenshot(page, "operator-11-real-sync-health")
