"""Refresh end to end over loopback HTTP: signed card request -> real sync -> HubSpot sandbox + sample Moulin store."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pytest

from hubspot_app import create_app
from hubspot_app.clock import MovableClock
from hubspot_app.db.base import Base
from hubspot_app.db.models import Installation
from hubspot_app.domain.records import normalise_email
from hubspot_app.moulin.stores import connect_store
from hubspot_app import bootstrap
from sandbox.hubspot import start_sandbox
from sandbox.moulin import start_sample_store

from .conftest import Card

pytestmark = pytest.mark.db


@pytest.fixture
def world(make_config):
    state, hubspot = start_sandbox()
    store, moulin = start_sample_store(orders=30, seed=7, store_code="b2c")
    clock = MovableClock(datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc))
    app = create_app(make_config(hubspot_api_base=hubspot.url), clock=clock)
    database = app.extensions["moulin.db"]
    Base.metadata.drop_all(database.engine)
    database.create_all()
    portal_id = state.create_portal()
    token = state.issue_tokens(portal_id)["access_token"]
    bootstrap.adapters(app).token_provider = lambda _portal: token
    with app.app_context(), database.session() as session:
        session.add(Installation(portal_id=portal_id, scopes="", status="active"))
        session.flush()
        connect_store(session, app.extensions["moulin.cipher"], portal_id, "b2c", "Shop B2C", moulin.url,
                      store.api_key, order_url_template="https://bo.example/o/{order_id}")
    yield app, state, store, moulin, portal_id, clock
    moulin.stop()
    hubspot.stop()
    Base.metadata.drop_all(database.engine)
    database.dispose()


def busiest_customer(store) -> tuple[str, list]:
    by_email: dict[str, list] = {}
    for order in store.live_orders():
        customer = store.get("customers", order.customer_id) if order.customer_id else None
        email = normalise_email(customer.get("email")) if customer and isinstance(customer.get("email"), str) else None
        if email and "@" in email:
            by_email.setdefault(email, []).append(order)
    email = max(by_email, key=lambda e: (len(by_email[e]), e))
    return email, by_email[email]


def test_refresh_syncs_a_never_seen_contact_then_reports_moulin_down_and_keeps_the_data(world):
    app, state, store, moulin, portal_id, clock = world
    email, orders = busiest_customer(store)
    # a contact a rep created in HubSpot by hand: we have never synced it, so only HubSpot knows its email
    contact = state.user_create(portal_id, "contacts", {"email": email.upper()})
    card = Card(app, app.test_client())
    assert card.get(portal_id, str(contact.id)).get_json()["orders"] == []

    response = card.refresh(portal_id, str(contact.id), perPage=50)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["refresh"]["status"] == "done" and data["refresh"]["orders"] == len(orders)
    expected = sorted(orders, key=lambda o: o.created_at, reverse=True)
    assert [o["number"] for o in data["orders"]] == [o.number for o in expected]
    assert data["orders"][0]["url"] == f"https://bo.example/o/{expected[0].id}"
    # the sync wrote to HubSpot: one deal per order, the contact reused (upsert by email), no duplicate
    deals = [r for r in state.objects(portal_id, "deals").values() if not r.archived]
    assert len(deals) == len(orders)
    emails = Counter(r.properties.get("email") for r in state.objects(portal_id, "contacts").values())
    assert emails[email] == 1

    moulin.stop()
    clock.advance(11)
    down = card.refresh(portal_id, str(contact.id), perPage=50)
    assert down.status_code == 503
    assert "Moulin is not answering" in down.get_json()["message"]
    after = card.get(portal_id, str(contact.id), perPage=50).get_json()
    assert [o["number"] for o in after["orders"]] == [o["number"] for o in data["orders"]]
    assert len([r for r in state.objects(portal_id, "deals").values() if not r.archived]) == len(orders)


def test_synced_contact_refresh_shows_a_moulin_change_in_the_card_and_in_the_deal(world):
    import requests

    from hubspot_app.sync.backfill import backfill

    app, state, store, moulin, portal_id, clock = world
    with app.app_context():
        backfill(portal_id)
    email, orders = busiest_customer(store)
    [contact] = [r for r in state.objects(portal_id, "contacts").values() if r.properties.get("email") == email]
    card = Card(app, app.test_client())
    before = card.get(portal_id, str(contact.id), perPage=50).get_json()
    assert sorted(o["number"] for o in before["orders"]) == sorted(o.number for o in orders)

    # A person in the back office cancels one order and adds a line to it.
    order = orders[0]
    for action in ({"action": "add_line", "quantity": 2}, {"action": "cancel", "reason": "customer"}):
        assert requests.post(f"{moulin.url}/_admin/orders/{order.id}", json=action, timeout=10).status_code == 200
    deal_key = f"b2c:{order.id}"
    [deal] = [r for r in state.objects(portal_id, "deals").values() if r.properties.get("moulin_order_key") == deal_key]
    lines_before = len(state.portal(portal_id).associations.targets("deals", deal.id, "line_items"))
    assert deal.properties["moulin_status"] != "cancelled"
    stage_before = deal.properties["dealstage"]

    clock.advance(11)  # past the per-contact refresh limit
    response = card.refresh(portal_id, str(contact.id), perPage=50)
    assert response.status_code == 200, response.get_json()
    shown = {o["number"]: o for o in response.get_json()["orders"]}
    assert shown[order.number]["status"] == "cancelled"
    assert card.get(portal_id, str(contact.id), perPage=50).get_json()["orders"] == response.get_json()["orders"]

    deals = [r for r in state.objects(portal_id, "deals").values()
             if r.properties.get("moulin_order_key") == deal_key and not r.archived]
    assert [d.id for d in deals] == [deal.id]  # the same deal, updated, never a second one
    assert deals[0].properties["moulin_status"] == "cancelled"
    assert deals[0].properties["dealstage"] != stage_before  # moved to the pipeline's cancelled stage
    lines_after = state.portal(portal_id).associations.targets("deals", deal.id, "line_items")
    assert len(lines_after) == lines_before + 1
