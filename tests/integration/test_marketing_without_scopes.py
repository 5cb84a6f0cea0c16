"""Issue 14 "Done when": without the optional scopes the app installs and syncs as today, and the settings page
says what it is not doing and why. Installed through the real OAuth redirects of the HubSpot sandbox."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from hubspot_app import create_app
from hubspot_app.jobs.marketing_tasks import run_marketing
from hubspot_app.config import OPTIONAL_SCOPES, REQUIRED_SCOPES
from hubspot_app.db.base import Base
from hubspot_app.domain.store_settings import StoreSettings
from hubspot_app.db.models import AttributionSubmission, Installation
from hubspot_app.moulin.stores import connect_store
from hubspot_app.sync.backfill import backfill
from hubspot_app.sync.engine import setup_portal
from sandbox.hubspot.testing import running_sandbox
from sandbox.moulin import start_sample_store
from tests.operator_support import csrf_token, operator_link

pytestmark = pytest.mark.db


@pytest.fixture
def installed(make_config, request):
    """Install through the sandbox's OAuth with the user granting the optional scopes or not (param)."""
    grant = request.param
    with running_sandbox(auto_approve=True) as (state, url):
        state.grant_optional_scopes = grant
        app = create_app(make_config(hubspot_api_base=url, hubspot_auth_base=url,
                                     hubspot_client_id=state.oauth.client_id,
                                     hubspot_client_secret=state.oauth.client_secret))
        database = app.extensions["moulin.db"]
        Base.metadata.drop_all(database.engine)
        database.create_all()
        client = app.test_client()
        authorize = client.get("/oauth/install").location
        assert set(parse_qs(urlsplit(authorize).query)["optional_scope"][0].split()) == set(OPTIONAL_SCOPES)
        back = requests.get(authorize, allow_redirects=False, timeout=5).headers["Location"]
        done = client.get(back.removeprefix("https://app.test"))
        assert done.status_code == 200, done.get_data(as_text=True)
        with database.session() as session:
            installation = session.scalar(select(Installation))
            portal_id, scopes = installation.portal_id, set(installation.scopes.split())
        store, server = start_sample_store(orders=200, seed=5, store_code="b2c",
                                           start=datetime.now(timezone.utc) - timedelta(days=730))
        with app.app_context(), database.session() as session:
            connect_store(session, app.extensions["moulin.cipher"], portal_id, "b2c", "Boutique", server.url,
                          store.api_key)
        yield app, state, portal_id, scopes, client
        server.stop()
        Base.metadata.drop_all(database.engine)
        database.dispose()


def settings_page(app, client, portal_id) -> str:
    client.get(operator_link(app, portal_id).removeprefix("https://app.test"))
    return client.get(f"/operator/{portal_id}/settings").get_data(as_text=True)


@pytest.mark.parametrize("installed", [False], indirect=True)
def test_without_the_optional_scopes_it_installs_syncs_and_says_what_it_does_not_do(installed):
    app, state, portal_id, scopes, client = installed
    assert set(REQUIRED_SCOPES) <= scopes and not scopes & set(OPTIONAL_SCOPES)

    with app.app_context():
        setup_portal(portal_id)
        assert run_marketing(portal_id) == {"submitted": 0, "rejected": 0, "failed": 0, "pushed": 0}
        backfill(portal_id)
        assert run_marketing(portal_id) == {"submitted": 0, "rejected": 0, "failed": 0, "pushed": 0}
    assert [d for d in state.objects(portal_id, "deals").values() if not d.archived]
    assert state.marketing_of(portal_id).forms == {} and state.marketing_of(portal_id).submissions == []
    assert not state.request_log.count(path_prefix="/marketing/") and not state.request_log.count(
        path_prefix="/communication-preferences/")
    with app.extensions["moulin.db"].session() as session:
        assert session.scalars(select(AttributionSubmission)).all() == []

    page = settings_page(app, client, portal_id)
    assert "Checkout attribution is off" in page and "forms" in page
    assert "Consent sync is off" in page and "subscriptions-status-write" in page
    assert 'href="/oauth/install"' in page  # the way to grant them

    state.grant_optional_scopes = True  # installed again, this time accepting them
    authorize = client.get("/oauth/install").location
    client.get(requests.get(authorize + f"&portal_id={portal_id}", allow_redirects=False,
                            timeout=5).headers["Location"].removeprefix("https://app.test"))
    with app.app_context():
        run_marketing(portal_id)
    [form] = state.marketing_of(portal_id).forms.values()
    assert form["name"] == "Moulin checkout" and "is off" not in settings_page(app, client, portal_id)


@pytest.mark.parametrize("installed", [True], indirect=True)
def test_with_the_optional_scopes_the_settings_page_counts_submissions(installed):
    app, state, portal_id, scopes, client = installed
    assert set(OPTIONAL_SCOPES) <= scopes
    with app.app_context():
        setup_portal(portal_id)
        run_marketing(portal_id)  # the first run makes the checkout form
        backfill(portal_id)
        sent = run_marketing(portal_id)
    [form] = state.marketing_of(portal_id).forms.values()
    assert sent["submitted"] > 0 and len(state.marketing_of(portal_id).submissions) == sent["submitted"]
    page = settings_page(app, client, portal_id)
    assert "is off" not in page and f"Checkout form submissions: {sent['submitted']} sent" in page


def test_store_marketing_switches_are_saved_and_checked(app, client):
    from tests.operator_support import PORTAL_A, install_portals
    from hubspot_app.db.models import MoulinStore

    install_portals(app, PORTAL_A)
    with app.extensions["moulin.db"].session() as session:
        session.add(MoulinStore(portal_id=PORTAL_A, code="b2c", name="Boutique", api_url="https://m.example",
                                api_key_enc="x", push_secret_enc="y", stage_mapping={}, settings={}))
    client.get(operator_link(app, PORTAL_A).removeprefix("https://app.test"))
    with app.extensions["moulin.db"].session() as session:
        store_id = session.scalar(select(MoulinStore.id))
    page = client.get(f"/operator/{PORTAL_A}/stores/{store_id}/settings").get_data(as_text=True)
    post = f"/operator/{PORTAL_A}/stores/{store_id}/marketing"
    refused = client.post(post, data={"csrf_token": csrf_token(page), "attribution": "on",
                                      "attribution_max_age_days": "0"}, follow_redirects=True)
    assert "attribution_max_age_days" in refused.get_data(as_text=True)
    client.post(post, data={"csrf_token": csrf_token(page), "attribution_max_age_days": "7", "consent_sync": "on"})
    with app.extensions["moulin.db"].session() as session:
        settings = StoreSettings.of(session.scalar(select(MoulinStore.settings)))
    assert (settings.attribution, settings.attribution_max_age_days, settings.consent_sync) == (False, 7, True)
