"""Checkouts -> HubSpot carts, played through both sandboxes: the sample store's admin API changes the shop over
HTTP, the app syncs, and the carts are read back from the HubSpot sandbox."""
from __future__ import annotations

from datetime import timedelta

import pytest

from hubspot_app.config import ORDER_SCOPES
from hubspot_app.jobs import sync_tasks as tasks
from hubspot_app.sync.backfill import backfill, poll
from sandbox.moulin.edits import apply_order_action

from .carts_support import COMMERCE_SCOPES, cart_shop, hooked_shop  # noqa: F401 (fixtures)

pytestmark = pytest.mark.db


def test_a_checkout_is_a_cart_abandoned_on_time_and_closed_with_its_order_once_paid(cart_shop):
    shop = cart_shop("both")
    order = shop.checkout_candidate()
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
    order = shop.checkout_candidate()
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
    order = shop.checkout_candidate()
    shop.admin("POST", f"/orders/{order.id}", action="open_checkout")
    shop.poll()
    assert f"b2c:{order.id}" in shop.carts()
    shop.admin("DELETE", f"/orders/{order.id}")
    shop.poll()
    assert f"b2c:{order.id}" not in shop.carts()


@pytest.mark.parametrize("target, scopes", [("deals", COMMERCE_SCOPES), ("both", " ".join(ORDER_SCOPES))])
def test_no_cart_without_hubspot_orders_or_without_the_cart_scopes(cart_shop, target, scopes):
    shop = cart_shop(target, scopes)
    order = shop.checkout_candidate()
    shop.admin("POST", f"/orders/{order.id}", action="open_checkout")
    shop.poll()
    assert shop.carts() == {}
    assert shop.world.open_errors() == []


def test_a_recreated_carts_line_refused_by_hubspot_keeps_no_stale_link_and_heals(hooked_shop):
    """The old line items of a re-created cart are archived, and so are their links: a new line item HubSpot
    refuses (its product deleted there, no webhook seen) must not leave the old id and hash standing."""
    shop, delivery = hooked_shop
    world, order = shop.world, shop.checkout_candidate()
    apply_order_action(shop.store, order.id, {"action": "open_checkout"})
    world.run(poll, world.portal_id)
    world.state.user_delete(world.portal_id, "carts", shop.cart(order.id)["id"])
    assert delivery.flush(), delivery.log
    kept = order.lines[1]
    [product] = [p for p in world.objects("products") if p["properties"].get("hs_sku") == kept.sku]
    world.state.user_delete(world.portal_id, "products", product["id"])  # its webhook never reaches us

    shop.settings(target="both", recreate_deleted_deals=True)
    apply_order_action(shop.store, order.id, {"action": "remove_line", "line_id": order.lines[0].id})
    world.run(poll, world.portal_id)  # the cart is re-created; HubSpot refuses the line of that product
    assert world.open_errors()

    world.run(poll, world.portal_id)  # the product is written again, and the refused line with it
    assert world.open_errors() == []
    assert sorted(i["properties"]["moulin_line_key"] for i in shop.line_items_of(shop.cart(order.id))) == sorted(
        f"cart/b2c:{order.id}:{line.id}" for line in order.lines[1:])


def test_a_cart_deleted_in_hubspot_follows_the_deal_rules(hooked_shop):
    shop, delivery = hooked_shop
    order = shop.checkout_candidate()
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
