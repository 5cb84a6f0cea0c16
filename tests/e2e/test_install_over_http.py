"""The whole install over real HTTP: browser → app → sandbox HubSpot → app, then SDK calls with the stored token."""
from __future__ import annotations

from datetime import datetime, timezone

import hubspot
import pytest
import requests
from sqlalchemy import select

from hubspot_app import create_app, extensions
from hubspot_app.db.base import Base
from hubspot_app.db.models import Installation
from sandbox.hubspot import start_sandbox
from sandbox.serving import serve_app_in_thread

pytestmark = [pytest.mark.db, pytest.mark.e2e]


@pytest.fixture
def sandbox():
    state, server = start_sandbox(auto_approve=True)
    yield state, server
    server.stop()


@pytest.fixture
def live_app(make_config, sandbox):
    state, hubspot_server = sandbox
    config = dict(
        hubspot_api_base=hubspot_server.url,
        hubspot_auth_base=hubspot_server.url,
        hubspot_client_id=state.oauth.client_id,
        hubspot_client_secret=state.oauth.client_secret,
    )
    # The app's clock follows the sandbox's, so moving one moves both.
    app, server = serve_app_in_thread(lambda url: create_app(
        make_config(app_base_url=url, **config),
        clock=lambda: datetime.fromtimestamp(state.clock.now(), tz=timezone.utc)))
    Base.metadata.drop_all(app.extensions["moulin.db"].engine)
    app.extensions["moulin.db"].create_all()
    yield app, server.url
    server.stop()
    app.extensions["moulin.db"].dispose()


def installed(app) -> Installation:
    with app.extensions["moulin.db"].session() as session:
        return session.scalars(select(Installation)).one()


def test_install_then_sdk_calls_then_refresh_after_30_minutes(live_app, sandbox):
    app, app_url = live_app
    state, hubspot_server = sandbox
    browser = requests.Session()

    page = browser.get(f"{app_url}/oauth/install", timeout=10)
    hops = [r.url.split("?")[0] for r in page.history]
    assert hops == [f"{app_url}/oauth/install", f"{hubspot_server.url}/oauth/authorize"]
    assert page.status_code == 200 and "Installed" in page.text

    installation = installed(app)
    assert installation.status == "active"
    # The installer is signed in to the portal's operator pages: the next step opens.
    onboarding = browser.get(f"{app_url}/operator/{installation.portal_id}/", timeout=10)
    assert onboarding.status_code == 200 and f"/operator/{installation.portal_id}/" in page.text
    assert state.portal_alive(installation.portal_id)
    state.user_create(installation.portal_id, "contacts", {"email": "lea@moulin.fr", "firstname": "Léa"})

    with app.app_context():
        # The scopes asked for at install are enough for what the app does with them: the portal setup
        # (property groups, properties, the deal pipeline) runs with the installed token alone.
        from hubspot_app.sync.engine import setup_portal

        setup_portal(installation.portal_id)
        first_token = extensions.tokens().access_token(installation.portal_id)
        sdk = hubspot.Client.create(access_token=first_token, host=hubspot_server.url, client_side_validation=True)
        page_of_contacts = sdk.crm.contacts.basic_api.get_page(limit=10, properties=["email"])
    assert [c.properties["email"] for c in page_of_contacts.results] == ["lea@moulin.fr"]
    pipelines = sdk.crm.pipelines.pipelines_api.get_all("deals").results
    assert "Moulin e-commerce" in [p.label for p in pipelines]

    state.clock.advance(31 * 60)
    with pytest.raises(hubspot.crm.contacts.ApiException) as expired:
        sdk.crm.contacts.basic_api.get_page(limit=10)
    assert expired.value.status == 401

    with app.app_context():
        fresh_token = extensions.tokens().access_token(installation.portal_id)
    assert fresh_token != first_token
    sdk = hubspot.Client.create(access_token=fresh_token, host=hubspot_server.url, client_side_validation=True)
    assert len(sdk.crm.contacts.basic_api.get_page(limit=10).results) == 1
    assert state.request_log.count(path_prefix="/oauth/2026-03/token", method="POST") >= 2


def test_denied_install_stores_nothing(live_app, sandbox):
    app, app_url = live_app
    state, hubspot_server = sandbox
    state.auto_approve = False
    browser = requests.Session()
    approve_page = browser.get(f"{app_url}/oauth/install", timeout=10)
    assert approve_page.status_code == 200 and approve_page.url.startswith(hubspot_server.url)
    # What the Deny button does: back to the app with error=access_denied and the same state.
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(approve_page.url).query)
    denied = browser.get(f"{app_url}/oauth/callback", params={"error": "access_denied", "state": query["state"][0]},
                         timeout=10)
    assert denied.status_code == 400 and "cancelled" in denied.text
    with app.extensions["moulin.db"].session() as session:
        assert session.scalars(select(Installation)).all() == []
