"""Checkouts -> HubSpot carts, played through both sandboxes: the sample store's admin API changes the shop over
HTTP, the app syncs, and the carts are read back from the HubSpot sandbox."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from hubspot_app.clock import MovableClock
from hubspot_app.config import CART_SCOPES, ORDER_SCOPES
from hubspot_app.db.models import Installation, MoulinStore
from hubspot_app.moulin.records import Order, parse_record
from hubspot_app.sync import tasks
from hubspot_app.sync.backfill import backfill, poll

from sandbox.hubspot.webhook_delivery import WebhookDelivery
from sandbox.moulin.edits import apply_order_action
from tests.webhook_support import APP_ID, SECRET

from .conftest import drop_world, installed_on_loopback, installed_world

pytestmark = pytest.mark.db
COMMERCE_SCOPES = " ".join((*ORDER_SCOPES, *CART_SCOPES))


class CartShop:
    """A portal with the commerce scopes `scopes`, one sample store sending to `target`, the app clock movable."""

    def __init__(self, world, store, url, clock):
        self.world, self.store, self.url, self.clock = world, store, url, clock

    def admin(self, method: str, path: str, **body) -> dict | None:
        response = requests.request(method, f"{self.url}/_admin{path}", json=body or None, timeout=10)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def settings(self, **settings):
        with self.world.app.extensions["moulin.db"].session() as session:
            session.scalar(select(MoulinStore).where(MoulinStore.portal_id == self.world.portal_id)).settings = settings

    def poll(self):
        self.clock.advance(60)
        self.world.run(poll, self.world.portal_id)

    def order(self, order_id: str) -> Order:
        return parse_record(Order, self.store.get("orders", order_id))

    def carts(self) -> dict[str, dict]:
        carts = self.world.objects("carts")
        keys = Counter(c["properties"].get("moulin_cart_key") for c in carts)
        assert not [k for k, n in keys.items() if n > 1], f"duplicate carts: {keys}"
        return {c["properties"]["moulin_cart_key"]: c for c in carts}

    def cart(self, order_id: str) -> dict:
        return self.carts()[f"{self.store.store_code}:{order_id}"]

    def linked(self, cart: dict, to_type: str) -> list[str]:
        return self.world.associations("carts", cart["id"], to_type)

    def line_items_of(self, cart: dict) -> list[dict]:
        live = {item["id"]: item for item in self.world.objects("line_items")}
        return [live[i] for i in self.linked(cart, "line_items") if i in live]

    def orders_by_key(self) -> dict[str, dict]:
        return {o["properties"]["moulin_order_key"]: o for o in self.world.objects("orders")}

    def paid_order_with_email(self) -> Order:
        for order in self.store.live_orders():
            customer = self.store.get("customers", order.customer_id or "") or {}
            if order.status.value == "paid" and len(order.lines) >= 2 and "@" in str(customer.get("email") or ""):
                return order
        raise AssertionError("the sample store has no paid order with two lines and a customer email")


@pytest.fixture
def cart_shop(make_config, hubspot, stores):
    worlds = []

    def start(target: str = "both", scopes: str = COMMERCE_SCOPES) -> CartShop:
        state, hubspot_server = hubspot
        store, server = stores(orders=30, seed=21, store_code="b2c")
        clock = MovableClock(store.now)
        world = installed_world(make_config(hubspot_api_base=hubspot_server.url), state, clock)
        worlds.append(world)
        world.connect(store, server)
        with world.app.extensions["moulin.db"].session() as session:
            session.scalar(select(Installation).where(Installation.portal_id == world.portal_id)).scopes = scopes
        shop = CartShop(world, store, server.url, clock)
        shop.settings(target=target)
        world.run(backfill, world.portal_id)
        return shop

    yield start
    for world in worlds:
        drop_world(world)


def test_a_checkout_is_a_cart_abandoned_on_time_and_closed_with_its_order_once_paid(cart_shop):
    shop = cart_shop("both")
    order = shop.paid_order_with_email()
    shop.admin("POST", f"/orders/{order.id}", action="open_checkout")
    shop.poll()
    cart = shop.cart(order.id)
    url = shop.order(order.id).abandoned_checkout_url
    assert url and cart["properties"]["hs_cart_url"] == url
    props = cart["properties"]
    assert (props["moulin_cart_status"], props["hs_external_cart_id"], props["hs_source_store"]) == (
        "open", order.id, "b2c")
    assert props["hs_total_price"] == f"{shop.order(order.id).total:.2f}"
    assert len(shop.linked(cart, "contacts")) == 1
    assert sorted(i["properties"]["moulin_line_key"] for i in shop.line_items_of(cart)) == sorted(
        f"cart/b2c:{order.id}:{line.id}" for line in order.lines)

    shop.clock.advance(timedelta(hours=24, minutes=2).total_seconds())
    shop.world.run(tasks.abandon_due_all)  # the scheduled check, as the worker runs it
    cart = shop.cart(order.id)
    assert cart["properties"]["moulin_cart_status"] == "abandoned"
    assert cart["properties"]["moulin_cart_abandoned_at"]

    shop.admin("POST", f"/orders/{order.id}", action="set_status", status="paid")
    shop.poll()
    cart = shop.cart(order.id)
    assert (cart["properties"]["moulin_cart_status"], cart["properties"]["moulin_cart_recovered"]) == (
        "converted", "true")
    assert cart["properties"]["hs_cart_url"] == url  # the checkout as it was
    assert shop.linked(cart, "orders") == [shop.orders_by_key()[f"b2c:{order.id}"]["id"]]

    shop.world.run(backfill, shop.world.portal_id)  # a retry of everything: no second cart, nothing reopened
    assert shop.cart(order.id)["id"] == cart["id"]
    assert shop.cart(order.id)["properties"]["moulin_cart_status"] == "converted"
    assert shop.world.open_errors() == []


def test_a_line_removed_from_an_open_checkout_leaves_its_cart(cart_shop):
    shop = cart_shop("orders")
    order = shop.paid_order_with_email()
    shop.admin("POST", f"/orders/{order.id}", action="open_checkout")
    shop.poll()
    assert len(shop.line_items_of(shop.cart(order.id))) == len(order.lines)
    shop.admin("POST", f"/orders/{order.id}", action="remove_line", line_id=order.lines[0].id)
    shop.poll()
    cart = shop.cart(order.id)
    assert [i["properties"]["moulin_line_key"] for i in shop.line_items_of(cart)] == [
        f"cart/b2c:{order.id}:{line.id}" for line in order.lines[1:]]
    assert cart["properties"]["hs_total_price"] == f"{shop.order(order.id).total:.2f}"


def test_a_checkout_deleted_in_moulin_takes_its_cart_with_it(cart_shop):
    shop = cart_shop("both")
    order = shop.paid_order_with_email()
    shop.admin("POST", f"/orders/{order.id}", action="open_checkout")
    shop.poll()
    assert f"b2c:{order.id}" in shop.carts()
    shop.admin("DELETE", f"/orders/{order.id}")
    shop.poll()
    assert f"b2c:{order.id}" not in shop.carts()


@pytest.mark.parametrize("target, scopes", [("deals", COMMERCE_SCOPES), ("both", " ".join(ORDER_SCOPES))])
def test_no_cart_without_hubspot_orders_or_without_the_cart_scopes(cart_shop, target, scopes):
    shop = cart_shop(target, scopes)
    order = shop.paid_order_with_email()
    shop.admin("POST", f"/orders/{order.id}", action="open_checkout")
    shop.poll()
    assert shop.carts() == {}
    assert shop.world.open_errors() == []


@pytest.fixture
def hooked_shop(make_config, stores):
    """The same shop served on loopback, with HubSpot's webhook deliveries signed and posted to the app."""
    with installed_on_loopback(make_config, scopes=COMMERCE_SCOPES) as (world, hook_url):
        store, server = stores(orders=30, seed=21, store_code="b2c")
        world.connect(store, server)
        shop = CartShop(world, store, server.url, None)
        delivery = WebhookDelivery(world.state, hook_url, SECRET, APP_ID)
        shop.settings(target="both")
        world.run(backfill, world.portal_id)
        assert delivery.flush(), delivery.log  # the app's own writes: acknowledged, ignored
        yield shop, delivery
        delivery.stop()


def test_a_cart_deleted_in_hubspot_follows_the_deal_rules(hooked_shop):
    shop, delivery = hooked_shop
    order = shop.paid_order_with_email()
    apply_order_action(shop.store, order.id, {"action": "open_checkout"})
    shop.world.run(poll, shop.world.portal_id)
    cart = shop.cart(order.id)
    shop.world.state.user_delete(shop.world.portal_id, "carts", cart["id"])
    assert delivery.flush(), delivery.log

    apply_order_action(shop.store, order.id, {"action": "remove_line", "line_id": order.lines[0].id})
    shop.world.run(poll, shop.world.portal_id)
    assert f"b2c:{order.id}" not in shop.carts()  # a person deleted it: it stays deleted, like a deal

    shop.settings(target="both", recreate_deleted_deals=True)
    apply_order_action(shop.store, order.id, {"action": "remove_line", "line_id": order.lines[1].id})
    shop.world.run(poll, shop.world.portal_id)
    again = shop.cart(order.id)
    assert again["id"] != cart["id"]  # one new cart, with the checkout's lines of now
    assert [i["properties"]["moulin_line_key"] for i in shop.line_items_of(again)] == [
        f"cart/b2c:{order.id}:{line.id}" for line in order.lines[2:]]
