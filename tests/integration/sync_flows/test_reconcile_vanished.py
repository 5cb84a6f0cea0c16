"""The nightly reconcile re-creates a deal or a HubSpot order deleted in HubSpot while no webhook reached us, with
fresh line items: the old ones still hang on the deleted record (a line item has one parent) and are archived."""
from __future__ import annotations

import pytest

from hubspot_app.domain.mapping import line_key
from hubspot_app.domain.order_mapping import order_line_key
from hubspot_app.sync.backfill import backfill
from hubspot_app.sync.reconcile import reconcile

from .test_orders_target import grant_order_scopes, orders_by_key, set_target

pytestmark = pytest.mark.db

# parent type -> (the key of a Moulin order line's line item on it, is a line item key one of that parent type's)
PARENTS = {"deals": (line_key, lambda key: not key.endswith("@order") and not key.startswith("cart/")),
           "orders": (lambda o, line: order_line_key(line_key(o, line)), lambda key: key.endswith("@order"))}


def assert_lines_on_their_parents(world, store, parent_type: str, parents: dict[str, dict]) -> None:
    """Each live parent (deal or HubSpot order) of a live Moulin order has exactly that order's lines as live line
    items, and no live line item of that kind is left over (on a deleted parent, on none, or a duplicate)."""
    own_key, of_kind = PARENTS[parent_type]
    live_orders = {o.key: o for o in store.live_orders()}
    assert set(parents) == set(live_orders), world.open_errors()[:5]
    lines = {li["id"]: li["properties"]["moulin_line_key"] for li in world.objects("line_items")
             if of_kind(li["properties"]["moulin_line_key"])}
    own = {key: {own_key(o, line) for line in o.lines} for key, o in live_orders.items()}
    for key, parent in parents.items():
        attached = {lines[i] for i in world.associations(parent_type, parent["id"], "line_items") if i in lines}
        assert attached == own[key], (key, world.open_errors()[:5])
    assert sorted(lines.values()) == sorted(set().union(*own.values())), "orphaned or duplicate live line items"


def writes(world) -> list[str]:
    """The write requests the sandbox answered for the portal (reads and searches left out)."""
    return [e.path for e in world.state.request_log.entries() if e.portal_id == world.portal_id
            and e.method in ("POST", "PUT", "PATCH", "DELETE") and not e.path.endswith(("/batch/read", "/search"))]


def _victims(store, n: int = 2) -> list:
    return [o for o in sorted(store.live_orders(), key=lambda o: o.key) if len(o.lines) >= 2][:n]


def _store(world, stores):
    store, server = stores(orders=16, seed=23, store_code="b2c")
    world.connect(store, server)
    return store


def test_a_deal_deleted_unseen_is_recreated_with_fresh_line_items_and_its_old_ones_archived(world, stores):
    store = _store(world, stores)
    world.run(backfill, world.portal_id)
    deals, victims = world.deals_by_key(), _victims(store)
    for order in victims:  # deleted by a person, and the webhook never reached us
        world.state.user_delete(world.portal_id, "deals", deals[order.key]["id"])
    old_lines = {li["id"] for li in world.objects("line_items")
                 if li["properties"]["moulin_line_key"].rsplit(":", 1)[0] in {o.key for o in victims}}

    before = len(writes(world))
    report = world.run(reconcile, world.portal_id)
    assert report["healed"] == len(victims)
    # every orphaned line item in one planned batch archive
    assert writes(world)[before:].count("/crm/v3/objects/line_items/batch/archive") == 1
    healed = world.deals_by_key()
    assert all(healed[o.key]["id"] != deals[o.key]["id"] for o in victims)
    assert_lines_on_their_parents(world, store, "deals", healed)
    assert not old_lines & {li["id"] for li in world.objects("line_items")}  # archived, not moved
    assert world.open_errors() == []
    before = len(writes(world))
    assert world.run(reconcile, world.portal_id)["healed"] == 0
    assert writes(world)[before:] == []  # our links name what HubSpot has: nothing to write again

    # Our links name the fresh line items: the order deleted in Moulin takes them all with it.
    store.delete("orders", victims[0].id)
    assert world.run(reconcile, world.portal_id)["archived"] == 1
    assert_lines_on_their_parents(world, store, "deals", world.deals_by_key())


@pytest.mark.parametrize("target", ["orders", "both"])
def test_a_hubspot_order_deleted_unseen_is_recreated_with_its_own_fresh_line_items(world, stores, target):
    store = _store(world, stores)
    grant_order_scopes(world)
    set_target(world, target)
    world.run(backfill, world.portal_id)
    orders, deals, victims = orders_by_key(world), world.deals_by_key(), _victims(store, 3)
    # with both targets: one order loses both its records, one its HubSpot order, one its deal
    lose_order, lose_deal = victims[:2], ([victims[0], victims[2]] if target == "both" else [])
    for order in lose_order:
        world.state.user_delete(world.portal_id, "orders", orders[order.key]["id"])
    for order in lose_deal:
        world.state.user_delete(world.portal_id, "deals", deals[order.key]["id"])

    report = world.run(reconcile, world.portal_id)
    assert report["healed"] == len(lose_order) + len(lose_deal)
    healed = orders_by_key(world)
    assert all(healed[o.key]["id"] != orders[o.key]["id"] for o in lose_order)
    assert_lines_on_their_parents(world, store, "orders", healed)
    if target == "both":
        live_deals = world.deals_by_key()
        assert_lines_on_their_parents(world, store, "deals", live_deals)
        live = {d["id"] for d in live_deals.values()}
        for key, order in healed.items():  # each HubSpot order still names its deal, a re-created one included
            assert set(world.associations("orders", order["id"], "deals")) & live == {live_deals[key]["id"]}, key
    assert world.open_errors() == []
    before = len(writes(world))
    assert world.run(reconcile, world.portal_id)["healed"] == 0
    assert writes(world)[before:] == []

    store.delete("orders", victims[0].id)
    world.run(reconcile, world.portal_id)
    assert_lines_on_their_parents(world, store, "orders", orders_by_key(world))


def test_a_recreated_hubspot_orders_line_refused_by_hubspot_keeps_no_stale_link_and_heals(world, stores):
    """The old line items of a re-created HubSpot order are archived, and so are their links: a new line item
    HubSpot refuses (its product deleted there) must not leave the old line's id and hash standing, or the next
    run finds the line "unchanged" and the order stays without it."""
    store = _store(world, stores)
    grant_order_scopes(world)
    set_target(world, "orders")
    world.run(backfill, world.portal_id)
    victim = next(o for o in _victims(store, 16) if all(line.sku for line in o.lines))
    world.state.user_delete(world.portal_id, "orders", orders_by_key(world)[victim.key]["id"])
    [product] = [p for p in world.objects("products") if p["properties"].get("hs_sku") == victim.lines[0].sku]
    world.state.user_delete(world.portal_id, "products", product["id"])

    world.run(reconcile, world.portal_id)  # the order is re-created; HubSpot refuses the line of that product
    assert world.open_errors()

    world.run(reconcile, world.portal_id)  # the product is written again, and the refused line with it
    assert world.open_errors() == []
    assert_lines_on_their_parents(world, store, "orders", orders_by_key(world))
