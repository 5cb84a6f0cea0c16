"""Issue 15, the store's target on the operator's settings page: without the optional order scopes the store stays
on deals and the page says why and how to grant them; with them, choosing `both` on a live store fills the orders
and leaves the deals. Installed through the real OAuth redirects of the HubSpot sandbox."""
from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from hubspot_app.config import ORDER_SCOPES
from hubspot_app.db.models import MoulinStore, SyncCheckpoint
from hubspot_app.domain.store_settings import StoreSettings
from hubspot_app.sync.backfill import backfill
from hubspot_app.sync.engine import setup_portal
from tests.integration.test_marketing_without_scopes import installed  # noqa: F401 (the fixture)
from tests.operator_support import csrf_token, operator_link

pytestmark = pytest.mark.db


def store_page(app, client, portal_id) -> tuple[str, str]:
    client.get(operator_link(app, portal_id).removeprefix("https://app.test"))
    with app.extensions["moulin.db"].session() as session:
        store_id = session.scalar(select(MoulinStore.id))
    url = f"/operator/{portal_id}/stores/{store_id}/settings"
    return url, client.get(url).get_data(as_text=True)


def choose(client, url: str, page: str, target: str):
    return client.post(url, data={"csrf_token": csrf_token(page), "target": target, "abandon_after_hours": "24",
                                  "stage_source": "moulin", "product_deletion": "archive"}, follow_redirects=True)


def live(state, portal_id, object_type) -> list:
    return [r for r in state.objects(portal_id, object_type).values() if not r.archived]


@pytest.mark.parametrize("installed", [False], indirect=True)
def test_without_the_order_scopes_the_store_stays_on_deals_and_the_page_says_how_to_grant_them(installed):
    app, state, portal_id, scopes, client = installed
    assert not scopes & set(ORDER_SCOPES)
    url, page = store_page(app, client, portal_id)
    assert "Orders are off" in page and "crm.objects.orders.write" in page
    assert 'href="/oauth/install"' in page

    refused = choose(client, url, page, "everything")
    assert refused.status_code == 422 and "target: choose deals, orders, both" in refused.get_data(as_text=True)
    saved = choose(client, url, page, "both")
    assert saved.status_code == 200 and 'id="target_both" name="target" value="both" checked' in saved.get_data(
        as_text=True)
    with app.app_context():
        setup_portal(portal_id)
        backfill(portal_id)
    assert live(state, portal_id, "deals") and live(state, portal_id, "orders") == []
    assert state.portal(portal_id).pipelines.list("orders") == []


@pytest.mark.parametrize("installed", [True], indirect=True)
def test_choosing_both_on_a_live_store_backfills_orders_and_leaves_the_deals(installed):
    app, state, portal_id, scopes, client = installed
    assert set(ORDER_SCOPES) <= scopes
    with app.app_context():
        setup_portal(portal_id)
        backfill(portal_id)
    deals = {k: r.updated_at for k, r in state.objects(portal_id, "deals").items()}
    url, page = store_page(app, client, portal_id)
    assert "Orders are off" not in page

    choose(client, url, page, "both")  # the backfill job runs at once in tests (immediate queue)
    with app.extensions["moulin.db"].session() as session:
        settings = StoreSettings.of(session.scalar(select(MoulinStore.settings)))
        checkpoint = session.scalar(select(SyncCheckpoint).where(SyncCheckpoint.mode == "backfill"))
    assert settings.target == "both" and checkpoint.done
    orders = live(state, portal_id, "orders")
    assert len(orders) == len(live(state, portal_id, "deals"))
    assert len({o.properties["moulin_order_key"] for o in orders}) == len(orders)
    assert {k: r.updated_at
            for k, r in state.objects(portal_id, "deals").items()} == deals


@pytest.mark.parametrize("installed", [True], indirect=True)
def test_switching_orders_off_archives_them_only_through_the_separate_confirmed_action(installed):
    app, state, portal_id, _, client = installed
    with app.app_context():
        setup_portal(portal_id)
    url, page = store_page(app, client, portal_id)
    choose(client, url, page, "both")
    orders, deals = live(state, portal_id, "orders"), {r.id: r.updated_at for r in live(state, portal_id, "deals")}
    assert len(orders) > 100  # two archive batches

    page = choose(client, url, page, "deals").get_data(as_text=True)  # switching off alone archives nothing
    assert "Archive the orders this store left in HubSpot" in page and f"<strong>{len(orders)} orders</strong>" in page
    archive = url.removesuffix("/settings") + "/archive-target"
    assert client.post(archive, data={"target": "orders", "confirm": "archive"}).status_code == 400  # no CSRF token
    unconfirmed = client.post(archive, data={"csrf_token": csrf_token(page), "target": "orders", "confirm": "yes"},
                              follow_redirects=True).get_data(as_text=True)
    assert "type the word archive" in unconfirmed
    still_on = client.post(archive, data={"csrf_token": csrf_token(page), "target": "deals", "confirm": "archive"},
                           follow_redirects=True).get_data(as_text=True)
    assert "HubSpot deals are not a target this store switched off" in still_on
    assert len(live(state, portal_id, "orders")) == len(orders)
    assert not state.request_log.count("POST", "/crm/v3/objects/0-123/batch/archive")

    done = client.post(archive, data={"csrf_token": csrf_token(page), "target": "orders", "confirm": "archive"},
                       follow_redirects=True).get_data(as_text=True)  # the bulk job runs at once in tests
    assert live(state, portal_id, "orders") == []
    assert state.request_log.count("POST", "/crm/v3/objects/0-123/batch/archive") == math.ceil(len(orders) / 100)
    assert {r.id: r.updated_at for r in live(state, portal_id, "deals")} == deals
    assert "Archive the orders" not in done and "Archiving of this store&#39;s HubSpot orders has started" in done
