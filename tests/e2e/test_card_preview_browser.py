"""The contact card in a real browser, offline: the sandbox's record page runs the real card code of crm_cards/.

Everything is real and on loopback: the HubSpot sandbox (record page, signed `hubspot.fetch`
proxy), the app serving /card/orders, the sample Moulin store, the sync that filled the card's
read model. Screenshots go to test-artifacts/ at HubSpot's sidebar and tab widths.
"""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from hubspot_app import create_app
from hubspot_app.db.base import Base
from hubspot_app.db.models import Installation
from hubspot_app.moulin.stores import connect_store
from hubspot_app.sync.backfill import backfill
from sandbox.hubspot import start_sandbox
from sandbox.hubspot.card_bundles import build_card_bundles
from sandbox.moulin import start_sample_store
from sandbox.serving import serve_app_in_thread
from tests.browser_support import ARTIFACTS, screenshot
from tests.sandbox_portal_support import connect_sandbox_portal, empty_database

pytestmark = pytest.mark.e2e

SECRET = "test-client-secret"  # the `make_config` fixture's client secret and app id
APP_ID = 4242
EXTRA_ORDERS = 26  # more than the tab card's 25 per page


@pytest.fixture(scope="module")
def bundles():
    build_card_bundles()  # the npm step `make card-preview` runs


@pytest.fixture
def world(make_config, bundles):
    state, hubspot = start_sandbox(client_secret=SECRET, app_id=APP_ID)
    store, moulin = start_sample_store(orders=20, seed=11, store_code="b2c")
    app, app_server = serve_app_in_thread(
        lambda url: create_app(make_config(app_base_url=url, hubspot_api_base=hubspot.url)))
    state.card_backend_url = app_server.url
    database = empty_database(app)
    portal_id = connect_sandbox_portal(app, state)
    customer_id = next(o.customer_id for o in store.live_orders() if o.customer_id)
    for _ in range(EXTRA_ORDERS):
        store.create_order(customer_id, lines=2)
    with app.app_context():
        with database.session() as session:
            session.add(Installation(portal_id=portal_id, scopes="", status="active"))
            session.flush()
            connect_store(session, app.extensions["moulin.cipher"], portal_id, "b2c", "Boutique du Moulin",
                          moulin.url, store.api_key, order_url_template=f"{moulin.url}/orders/{{order_id}}")
        backfill(portal_id)
    email = store.get("customers", customer_id)["email"].strip().lower()
    [contact] = [r for r in state.objects(portal_id, "contacts").values() if r.properties.get("email") == email]
    page_url = f"{hubspot.url}/contacts/{portal_id}/record/0-1/{contact.id}"
    yield {"page_url": page_url, "store": store, "moulin": moulin.url, "app_server": app_server}
    app_server.stop()
    moulin.stop()
    hubspot.stop()
    Base.metadata.drop_all(database.engine)
    database.dispose()


def element_screenshot(locator, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    locator.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def tab_card(page):
    return page.locator("[data-card=moulin_order_history]")


def sidebar_card(page):
    return page.locator("[data-card=moulin_orders_sidebar]")


def test_card_loads_pages_and_refreshes_after_a_store_edit(world, page):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(world["page_url"])
    tab, sidebar = tab_card(page), sidebar_card(page)
    rows = tab.locator("tbody tr")
    expect(rows).to_have_count(25)
    expect(tab.locator(".hs-page-of")).to_have_text(re.compile(r"Page 1 of 2"))
    # the sidebar: totals and five short rows, no table, and a pointer to the tab for the rest
    expect(sidebar.locator(".hs-status-tag")).to_have_count(5)
    expect(sidebar.locator("table")).to_have_count(0)
    expect(sidebar).to_contain_text("Lifetime value")
    expect(sidebar).to_contain_text("The full history is in the “Moulin order history” tab.")
    assert 300 <= sidebar.bounding_box()["width"] <= 400  # the sidebar column's width
    assert sidebar.evaluate("el => el.scrollWidth <= el.clientWidth"), "the sidebar card overflows its column"
    screenshot(page, "card-01-record-page-1440")
    element_screenshot(sidebar, "card-02-sidebar")
    element_screenshot(tab, "card-03-tab")

    newest = rows.first.locator("a").first.inner_text()  # the order's link to the back office, then its deal's
    expect(rows.first.get_by_role("link", name="Deal")).to_have_attribute("href", re.compile(r"/record/0-3/\d+$"))
    tab.get_by_role("button", name="Next").click()
    expect(tab.locator(".hs-page-of")).to_have_text(re.compile(r"Page 2 of 2"))
    expect(rows).not_to_have_count(25)
    expect(rows.first.locator("a").first).not_to_have_text(newest)

    # A person in the back office cancels the newest order; Refresh in the sidebar pulls it from Moulin.
    store = world["store"]
    [order_id] = [o.id for o in store.live_orders() if o.number == newest]
    answer = requests.post(f"{world['moulin']}/_admin/orders/{order_id}", json={"action": "cancel", "reason": "x"},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    # the innermost column holding the order's link is that order's two short rows
    first_sidebar_order = sidebar.locator(".hs-flex-column", has=page.get_by_role("link", name=newest, exact=True)).last
    expect(first_sidebar_order.locator(".hs-status-tag")).not_to_have_text("Cancelled")
    sidebar.get_by_role("button", name="Refresh from Moulin").click()
    expect(sidebar.locator(".hs-alert")).to_contain_text("Orders refreshed from Moulin.")
    expect(first_sidebar_order.locator(".hs-status-tag")).to_have_text("Cancelled")
    screenshot(page, "card-04-after-refresh")


def test_card_shows_the_error_state_when_the_app_is_down(world, page):
    world["app_server"].stop()
    page.goto(world["page_url"])
    for card in (tab_card(page), sidebar_card(page)):
        expect(card.get_by_role("alert")).to_contain_text("Couldn't load Moulin orders")
        expect(card.get_by_role("alert")).to_contain_text("could not connect to the app")
        expect(card.get_by_role("button", name="Try again")).to_be_visible()
    screenshot(page, "card-05-app-down")
