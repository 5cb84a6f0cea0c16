"""The order-link template is the operator's text: placeholders replaced literally, http(s) only, bounded.

`str.format` used to read it: `{0}` failed every later sync of the store, and a
format spec such as `{order_id:>2000000}` made each link (and the card) megabytes.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from hubspot_app.db.models import CardOrder, MoulinStore
from hubspot_app.domain.order_links import MAX_LINK, order_link
from hubspot_app.sync import backfill
from tests.operator_support import PORTAL_A, csrf_token, install_portals, operator_link

from .conftest import Card

pytestmark = pytest.mark.db

BAD_TEMPLATES = {
    "https://bo.example/{order_id}/{0}": "unknown placeholder {0}",
    "https://bo.example/{order_id:>2000000}": "unknown placeholder {order_id:",
    "https://bo.example/{order_id}/{order_id.__class__}": "unknown placeholder",
    "https://bo.example/{order_id}/{": "not part of a placeholder",
    "javascript:alert(1)//{order_id}": "must start with http:// or https://",
    "https://bo.example/" + "x" * 1100 + "{order_id}": "at most 1024 characters",
}


@pytest.mark.parametrize("template, problem", BAD_TEMPLATES.items())
def test_an_unusable_template_is_refused_on_save_naming_the_problem(app, client, template, problem):
    install_portals(app, PORTAL_A)
    with app.extensions["moulin.db"].session() as session:
        session.add(MoulinStore(portal_id=PORTAL_A, code="b2c", name="Shop", api_url="https://moulin.example",
                                api_key_enc="x", push_secret_enc="x", stage_mapping={}, settings={}))
    client.get(operator_link(app, PORTAL_A).removeprefix("https://app.test"))
    path = f"/operator/{PORTAL_A}/stores/1/settings"
    response = client.post(path, data={"csrf_token": csrf_token(client.get(path).get_data(as_text=True)),
                                       "stage_source": "moulin", "order_url_template": template})
    assert response.status_code == 422
    assert problem in response.get_data(as_text=True)


def test_placeholders_are_replaced_literally_and_quoted():
    template = "https://bo.example/{store}/orders/{order_id}?n={order_number}"
    assert order_link(template, order_id="a/b?c={0}", order_number="N 1", store="b2c") == \
        "https://bo.example/b2c/orders/a%2Fb%3Fc%3D%7B0%7D?n=N%201"
    assert order_link("https://bo.example/{order_id}", order_id="x" * MAX_LINK, order_number=None,
                      store="b2c") is None  # too long: no link rather than a payload


def test_a_stored_bad_template_never_breaks_a_sync_and_the_settings_page_says_so(world, stores):
    sample, server = stores(orders=8, seed=2, store_code="b2c")
    store_id, _ = world.connect(sample, server)
    with world.app.extensions["moulin.db"].session() as session:  # saved before the rules existed
        session.execute(update(MoulinStore).values(order_url_template="https://bo.example/{0}/{order_id}"))
    world.run(backfill.backfill, world.portal_id)
    assert len(world.deals_by_key()) == sum(1 for _ in sample.live_orders())
    with world.app.extensions["moulin.db"].session() as session:
        assert set(session.scalars(select(CardOrder.order_url))) == {None}

    client = world.app.test_client()
    client.get(operator_link(world.app, world.portal_id).removeprefix("https://app.test"))
    page = client.get(f"/operator/{world.portal_id}/stores/{store_id}/settings").get_data(as_text=True)
    assert "The saved order link is unusable" in page and "unknown placeholder {0}" in page


def test_the_card_never_answers_a_padded_link(app, client):
    card = Card(app, client)
    card.install(77, template="https://bo.example/{order_id:>2000000}")
    card.orders(77, 2, contact_id="501", email=None)
    response = card.get(77, "501")
    assert response.status_code == 200
    assert [order["url"] for order in response.get_json()["orders"]] == [None, None]
    assert len(response.get_data()) < 10_000
