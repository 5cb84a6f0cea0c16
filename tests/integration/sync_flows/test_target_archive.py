"""Issue 15, switching a target off: what it wrote stays in HubSpot until the operator asks; then the archive job
takes that store's records of it (and nothing else) in planned batch archives, and a switch back creates each
record once again. Through both sandboxes, the job run as the bulk worker runs it."""
from __future__ import annotations

import math
from collections import Counter

import pytest
from sqlalchemy import select

from hubspot_app.db.models import CardOrder, Installation, MoulinStore, ObjectLink
from hubspot_app import bootstrap
from hubspot_app.jobs import sync_tasks as tasks
from hubspot_app.sync.backfill import backfill, restart_backfill

from .carts_support import COMMERCE_SCOPES, cart_shop  # noqa: F401 (fixture)
from .conftest import World

pytestmark = pytest.mark.db

ARCHIVE_PATHS = {"orders": "/crm/v3/objects/0-123/batch/archive", "carts": "/crm/v3/objects/0-142/batch/archive",
                 "deals": "/crm/v3/objects/deals/batch/archive",
                 "line_items": "/crm/v3/objects/line_items/batch/archive"}


def set_target(world, store_code: str, target: str) -> None:
    with world.app.extensions["moulin.db"].session() as session:
        row = session.scalar(select(MoulinStore).where(MoulinStore.portal_id == world.portal_id,
                                                       MoulinStore.code == store_code))
        row.settings = {**(row.settings or {}), "target": target}


def switch_back(world, store_code: str, target: str) -> None:
    """What saving an added target on the settings page does: the store's backfill again."""
    set_target(world, store_code, target)
    with world.app.extensions["moulin.db"].session() as session:
        restart_backfill(session, world.portal_id, store_code)
    world.run(backfill, world.portal_id)


def live(world, object_type: str, key_property: str) -> dict[str, str]:
    """Live records of a type: unique key -> HubSpot id (a duplicate key fails)."""
    found = Counter(o["properties"].get(key_property) for o in world.objects(object_type))
    assert not [k for k, n in found.items() if n > 1], f"duplicate {object_type}"
    return {o["properties"].get(key_property): o["id"] for o in world.objects(object_type)}


def of_store(records: dict[str, str], store_code: str) -> dict[str, str]:
    return {k: v for k, v in records.items() if k and k.removeprefix("cart/").startswith(f"{store_code}:")}


def snapshot(world) -> dict[str, dict[str, str]]:
    return {"orders": live(world, "orders", "moulin_order_key"), "deals": live(world, "deals", "moulin_order_key"),
            "carts": live(world, "carts", "moulin_cart_key"), "line_items": live(world, "line_items", "moulin_line_key")}


def links(world, store_code: str) -> Counter:
    with world.app.extensions["moulin.db"].session() as session:
        rows = session.scalars(select(ObjectLink).where(ObjectLink.portal_id == world.portal_id))
        return Counter(r.kind for r in rows if r.source_key.removeprefix("cart/").startswith(f"{store_code}:"))


def card_ids(world, store_code: str, column) -> list:
    with world.app.extensions["moulin.db"].session() as session:
        return list(session.scalars(select(column).where(CardOrder.portal_id == world.portal_id,
                                                         CardOrder.store_code == store_code)))


def archive_job(world, store_code: str) -> list:
    """Run the archive job as the bulk worker would; returns the writes it sent to HubSpot."""
    calls = world.state.request_log.total()
    world.run(tasks.archive_target_slice, world.portal_id, store_code)
    return [e for e in world.state.request_log.entries()[calls:] if e.method != "GET"
            and "/search" not in e.path and "/batch/read" not in e.path]


def second_portal(world, stores) -> World:
    """Another portal on the same app and HubSpot, with a store of the same code `b2c`, sending to both targets."""
    portal_id, provider = world.state.create_portal(), bootstrap.adapters(world.app).token_provider
    token = world.state.issue_tokens(portal_id)["access_token"]
    bootstrap.adapters(world.app).token_provider = lambda portal: token if portal == portal_id else provider(portal)
    with world.app.extensions["moulin.db"].session() as session:
        session.add(Installation(portal_id=portal_id, scopes=COMMERCE_SCOPES, status="active"))
    other = World(world.app, world.state, portal_id)
    other.connect(*stores(orders=12, seed=7, store_code="b2c"))
    set_target(other, "b2c", "both")
    other.run(backfill, portal_id)
    return other


@pytest.fixture
def two_stores(cart_shop, stores):
    """Portal A with stores b2c (checkout open) and b2b, both sending to both targets; portal B beside it."""
    shop = cart_shop("both")
    b2b, server = stores(orders=12, seed=5, store_code="b2b")
    shop.world.connect(b2b, server)
    set_target(shop.world, "b2b", "both")
    shop.world.run(backfill, shop.world.portal_id)
    elsewhere = second_portal(shop.world, stores)
    order = shop.checkout_candidate()
    shop.admin("POST", f"/orders/{order.id}", action="open_checkout")
    shop.poll()
    return shop, elsewhere, order


def test_orders_switched_off_stay_until_asked_then_only_that_stores_orders_lines_and_carts_go(two_stores):
    shop, elsewhere, checkout = two_stores
    world = shop.world
    before, other_portal = snapshot(world), snapshot(elsewhere)
    b2c_carts = of_store(before["carts"], "b2c")
    assert f"b2c:{checkout.id}" in b2c_carts and of_store(before["orders"], "b2b")

    set_target(world, "b2c", "deals")
    shop.poll()  # switching off alone archives nothing
    assert snapshot(world) == before

    writes = archive_job(world, "b2c")
    after = snapshot(world)
    assert of_store(after["orders"], "b2c") == {} and of_store(after["carts"], "b2c") == {}
    kept = {k: v for k, v in before["line_items"].items()
            if not (k.startswith("cart/b2c:") or (k.startswith("b2c:") and k.endswith("@order")))}
    assert after["line_items"] == kept  # the deals' line items and the other store's stay
    assert after["deals"] == before["deals"]
    assert {t: of_store(after[t], "b2b") for t in after} == {t: of_store(before[t], "b2b") for t in before}
    assert snapshot(elsewhere) == other_portal

    # Planned batches: one archive call per 100 records of each planned type, and no other write.
    gone_lines = len(before["line_items"]) - len(kept)
    cart_lines = len([k for k in before["line_items"] if k.startswith("cart/b2c:")])
    orders = of_store(before["orders"], "b2c")
    assert Counter(e.path for e in writes) == {
        ARCHIVE_PATHS["orders"]: math.ceil(len(orders) / 100), ARCHIVE_PATHS["carts"]: math.ceil(len(b2c_carts) / 100),
        ARCHIVE_PATHS["line_items"]: math.ceil(cart_lines / 100) + math.ceil((gone_lines - cart_lines) / 100)}
    assert {e.portal_id for e in writes} == {world.portal_id}
    remaining = links(world, "b2c")
    assert not {k: remaining[k] for k in ("order", "order_line", "cart", "cart_line") if remaining[k]}
    assert set(card_ids(world, "b2c", CardOrder.hubspot_order_id)) == {None}
    assert None not in card_ids(world, "b2b", CardOrder.hubspot_order_id)
    assert archive_job(world, "b2c") == []  # nothing left: a second run sends nothing
    assert world.open_errors() == []

    # Switching back creates each order once again, and the open checkout's cart.
    switch_back(world, "b2c", "both")
    again = snapshot(world)
    assert set(of_store(again["orders"], "b2c")) == set(orders)
    assert not set(of_store(again["orders"], "b2c").values()) & set(orders.values())
    assert f"b2c:{checkout.id}" in of_store(again["carts"], "b2c")
    assert again["deals"] == before["deals"]


def test_deals_switched_off_are_archived_only_on_request_and_come_back_once(two_stores):
    shop, elsewhere, _ = two_stores
    world = shop.world
    before, other_portal = snapshot(world), snapshot(elsewhere)
    deals = of_store(before["deals"], "b2c")

    set_target(world, "b2c", "orders")
    shop.poll()
    assert snapshot(world) == before

    writes = archive_job(world, "b2c")
    after = snapshot(world)
    assert of_store(after["deals"], "b2c") == {}
    assert after["orders"] == before["orders"] and after["carts"] == before["carts"]
    deal_lines = [k for k in before["line_items"] if k.startswith("b2c:") and not k.endswith("@order")]
    assert set(before["line_items"]) - set(after["line_items"]) == set(deal_lines)
    assert Counter(e.path for e in writes) == {ARCHIVE_PATHS["deals"]: math.ceil(len(deals) / 100),
                                               ARCHIVE_PATHS["line_items"]: math.ceil(len(deal_lines) / 100)}
    assert of_store(after["deals"], "b2b") == of_store(before["deals"], "b2b")
    assert snapshot(elsewhere) == other_portal
    assert set(card_ids(world, "b2c", CardOrder.hubspot_deal_id)) == {None}
    assert world.open_errors() == []

    switch_back(world, "b2c", "both")
    again = live(world, "deals", "moulin_order_key")
    assert set(of_store(again, "b2c")) == set(deals)
    assert not set(of_store(again, "b2c").values()) & set(deals.values())
