"""A shop for the cart and target flows: one sample store on a portal with the commerce scopes, the store's target
set, the app clock movable; HubSpot's side read back from the sandbox (`CartShop`), as fixtures."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from hubspot_app.clock import MovableClock
from hubspot_app.config import CART_SCOPES, ORDER_SCOPES
from hubspot_app.db.models import Installation
from hubspot_app.domain.records import Order
from hubspot_app.sync.backfill import backfill, poll
from sandbox.hubspot.webhook_delivery import WebhookDelivery
from tests.webhook_support import APP_ID, SECRET

from .conftest import drop_world, installed_on_loopback, installed_world
from .test_commerce_truth import Shop

COMMERCE_SCOPES = " ".join((*ORDER_SCOPES, *CART_SCOPES))


class CartShop(Shop):
    """A portal with the commerce scopes, one sample store sending to its `target`, the app clock movable."""

    def poll(self):
        self.clock.advance(60)
        self.world.run(poll, self.world.portal_id)

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

    def checkout_candidate(self) -> Order:
        """A paid order with two lines and a customer email, to reopen as a checkout."""
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
