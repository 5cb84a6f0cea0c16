"""HubSpot's native orders as a store's second (or only) target, through both sandboxes: setup, backfill, edits,
refunds, deletions, switching a live store from deals to both, and a portal without the order scopes."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from hubspot_app.card.read_model import PageRequest, contact_orders
from hubspot_app.config import ORDER_SCOPES, REQUIRED_SCOPES
from hubspot_app.db.models import CardOrder, Installation, MoulinStore, PortalSetup
from hubspot_app.sync.backfill import backfill, poll, restart_backfill
from hubspot_app.sync.engine import setup_portal
from hubspot_app.domain.mapping import line_key
from hubspot_app.domain.order_mapping import order_line_key
from hubspot_app.sync.reconcile import reconcile
from hubspot_app.domain.stages import STAGES, net_amount, order_stage_state
from sandbox.hubspot.webhook_delivery import WebhookDelivery
from sandbox.moulin.edits import apply_order_action
from tests.webhook_support import APP_ID, SECRET

from .conftest import installed_on_loopback

pytestmark = pytest.mark.db

ALL_SCOPES = " ".join((*REQUIRED_SCOPES, *ORDER_SCOPES))


def grant_order_scopes(world) -> None:
    with world.app.extensions["moulin.db"].session() as session:
        session.scalar(select(Installation).where(Installation.portal_id == world.portal_id)).scopes = ALL_SCOPES


def set_target(world, target: str) -> None:
    with world.app.extensions["moulin.db"].session() as session:
        row = session.scalar(select(MoulinStore).where(MoulinStore.portal_id == world.portal_id))
        row.settings = {**(row.settings or {}), "target": target}


def orders_by_key(world) -> dict[str, dict]:
    orders = world.objects("orders")
    keys = Counter(o["properties"].get("moulin_order_key") for o in orders)
    assert not {k: n for k, n in keys.items() if n > 1}, "duplicate HubSpot orders"
    return {o["properties"]["moulin_order_key"]: o for o in orders}


def restart(world, store) -> None:
    with world.app.extensions["moulin.db"].session() as session:
        restart_backfill(session, world.portal_id, store.store_code)


def deal_updates(world) -> dict[str, object]:
    return {hs_id: r.updated_at for hs_id, r in world.state.objects(world.portal_id, "deals").items()}


def order_setup(world) -> PortalSetup:
    with world.app.extensions["moulin.db"].session() as session:
        return session.scalar(select(PortalSetup).where(PortalSetup.portal_id == world.portal_id))


def assert_orders_match(world, store) -> dict[str, dict]:
    """One HubSpot order per live Moulin order, with its totals, stage, contact and its own line items."""
    orders, live = orders_by_key(world), {o.key: o for o in store.live_orders()}
    assert set(orders) == set(live), world.open_errors()[:5]
    setup = order_setup(world)
    stage_keys = {stage_id: key for key, stage_id in setup.order_stage_ids.items()}
    cards = {}
    with world.app.extensions["moulin.db"].session() as session:
        cards = {f"{r.store_code}:{r.order_id}": r.stage for r in session.scalars(
            select(CardOrder).where(CardOrder.portal_id == world.portal_id))}
    lines = {li["properties"]["moulin_line_key"]: li for li in world.objects("line_items")}
    for key, order in live.items():
        props = orders[key]["properties"]
        assert Decimal(props["hs_total_price"]) == net_amount(order), key
        assert props["hs_external_order_id"] == order.id and props["hs_source_store"] == order.store
        assert props["hs_currency_code"] == order.currency
        assert props["hs_pipeline"] == setup.order_pipeline_id
        assert stage_keys[props["hs_pipeline_stage"]] == cards[key]  # the deal's stage rules, the order pipeline
        own = {order_line_key(line_key(order, line)) for line in order.lines}
        live_ids = {li["id"] for li in lines.values()}  # the sandbox's graph keeps edges to archived records
        linked = set(world.associations("orders", orders[key]["id"], "line_items")) & live_ids
        assert {lines[k]["id"] for k in own} == linked, key
    return orders


@pytest.fixture
def shop(world, stores):
    store, server = stores(orders=30, seed=11, store_code="b2c")
    world.connect(store, server)
    return world, store


def test_setup_makes_the_order_pipeline_with_open_and_closed_stages_only_with_the_scopes(shop):
    world, _ = shop
    world.run(setup_portal, world.portal_id)
    assert order_setup(world).order_pipeline_id is None
    assert world.state.portal(world.portal_id).pipelines.list("orders") == []

    grant_order_scopes(world)  # a re-install that grants the optional scopes: the next setup adds the orders part
    world.run(setup_portal, world.portal_id)
    setup = order_setup(world)
    [pipeline] = world.state.portal(world.portal_id).pipelines.list("orders")
    assert pipeline["id"] == setup.order_pipeline_id
    states = {s["label"]: s["metadata"]["state"] for s in pipeline["stages"]}
    assert states == {label: order_stage_state(key) for key, label, _ in STAGES}
    assert states["Shipped"] == "CLOSED" and states["Processed"] == "OPEN"


def test_target_both_writes_one_order_per_deal_from_one_read_and_a_rerun_changes_nothing(shop):
    world, store = shop
    grant_order_scopes(world)
    set_target(world, "both")
    world.run(backfill, world.portal_id)
    orders, deals = assert_orders_match(world, store), world.deals_by_key()
    assert set(orders) == set(deals)
    contacts = {c["properties"]["email"]: c["id"] for c in world.objects("contacts")}
    for key, order in orders.items():
        assert world.associations("orders", order["id"], "deals") == [deals[key]["id"]]
        deal_contacts = world.associations("deals", deals[key]["id"], "contacts")
        assert world.associations("orders", order["id"], "contacts") == deal_contacts
        assert set(deal_contacts) <= set(contacts.values())
    with world.app.extensions["moulin.db"].session() as session:
        rows = session.scalars(select(CardOrder).where(CardOrder.portal_id == world.portal_id)).all()
        assert {r.hubspot_order_id for r in rows} == {o["id"] for o in orders.values()}

    # A retry of everything (the checkpoint lost): no duplicate, no order, deal, line item or association write.
    # (A deals-only store's re-run re-sends a products batch too, on main as well: products are not our subject.)
    calls = world.state.request_log.total()
    restart(world, store)
    world.run(backfill, world.portal_id)
    writes = [e for e in world.state.request_log.entries()[calls:] if e.method != "GET" and "/search" not in e.path
              and "/batch/read" not in e.path and "/objects/products/" not in e.path]
    assert [(e.method, e.path) for e in writes] == []
    assert_orders_match(world, store)


def test_edits_refunds_and_deletions_reach_the_order_and_its_own_line_items(shop):
    world, store = shop
    grant_order_scopes(world)
    set_target(world, "orders")
    world.run(backfill, world.portal_id)
    assert world.objects("deals") == []  # orders only
    order = next(o for o in store.live_orders() if len(o.lines) >= 2 and o.status.value == "shipped")
    apply_order_action(store, order.id, {"action": "remove_line", "line_id": order.lines[0].id})
    apply_order_action(store, order.id, {"action": "partial_refund", "amount": "1.00"})
    world.run(poll, world.portal_id)
    orders = assert_orders_match(world, store)
    assert orders[order.key]["properties"]["moulin_refunded_amount"] == "1.00"
    removed = order_line_key(line_key(order, order.lines[0]))
    assert removed not in {li["properties"]["moulin_line_key"] for li in world.objects("line_items")}

    order_id = orders[order.key]["id"]
    store.delete("orders", order.id)
    world.run(poll, world.portal_id)
    orders = assert_orders_match(world, store)
    assert order.key not in orders and order_id not in {o["id"] for o in orders.values()}
    assert world.open_errors() == []


def test_switching_a_live_store_to_both_creates_every_order_once_and_leaves_every_deal_as_it_was(shop):
    world, store = shop
    grant_order_scopes(world)
    world.run(backfill, world.portal_id)
    before = {d["id"]: d for d in world.deals_by_key().values()}
    assert world.objects("orders") == []
    updated = deal_updates(world)
    line_items = {li["id"] for li in world.objects("line_items")}

    set_target(world, "both")
    restart(world, store)  # what saving the setting does
    calls = world.state.request_log.total()
    world.run(backfill, world.portal_id)
    assert_orders_match(world, store)
    after = {d["id"]: d for d in world.deals_by_key().values()}
    assert after == before
    assert deal_updates(world) == updated
    assert line_items <= {li["id"] for li in world.objects("line_items")}
    paths = [e.path for e in world.state.request_log.entries()[calls:] if e.method != "GET"]
    assert not [p for p in paths if "/objects/deals/" in p or "/objects/contacts/" in p], paths

    # Switching off leaves what exists: a later change reaches the deal only.
    orders = orders_by_key(world)
    set_target(world, "deals")
    changed = next(o for o in store.live_orders() if o.status.value == "shipped")
    apply_order_action(store, changed.id, {"action": "partial_refund", "amount": "1.00"})
    world.run(poll, world.portal_id)
    assert orders_by_key(world) == orders
    assert world.deals_by_key()[changed.key]["properties"]["moulin_refunded_amount"] == "1.00"


def test_without_the_order_scopes_a_store_that_chose_both_stays_on_deals(shop):
    world, store = shop
    set_target(world, "both")
    world.run(backfill, world.portal_id)
    assert world.objects("orders") == []
    assert set(world.deals_by_key()) == {o.key for o in store.live_orders()}
    assert world.open_errors() == []


def test_an_order_deleted_in_hubspot_follows_the_deal_rule(make_config, stores):
    """Webhooks (generic object.deletion on 0-123): left deleted, unless the store re-creates deleted deals and the
    order changes; then one order again, with fresh line items."""
    with installed_on_loopback(make_config, ALL_SCOPES) as (world, hook_url):
        store, server = stores(orders=14, seed=11, store_code="b2c")
        world.connect(store, server)
        set_target(world, "both")
        delivery = WebhookDelivery(world.state, hook_url, SECRET, APP_ID)
        try:
            world.run(backfill, world.portal_id)
            assert delivery.flush(), delivery.log  # the app's own writes: acknowledged, ignored
            order = next(o for o in store.live_orders() if o.status.value == "shipped" and o.lines)
            deleted = orders_by_key(world)[order.key]["id"]
            world.state.user_delete(world.portal_id, "orders", deleted)
            assert delivery.flush(), delivery.log
            with world.app.extensions["moulin.db"].session() as session:
                card = session.scalar(select(CardOrder).where(CardOrder.order_id == order.id))
                assert card.hubspot_order_id is None and card.hubspot_deal_id

            apply_order_action(store, order.id, {"action": "partial_refund", "amount": "1.00"})
            world.run(poll, world.portal_id)
            assert order.key not in orders_by_key(world)  # left deleted, like a deal
            assert world.deals_by_key()[order.key]["properties"]["moulin_refunded_amount"] == "1.00"

            with world.app.extensions["moulin.db"].session() as session:
                row = session.scalar(select(MoulinStore).where(MoulinStore.portal_id == world.portal_id))
                row.settings = {**row.settings, "recreate_deleted_deals": True}
            apply_order_action(store, order.id, {"action": "partial_refund", "amount": "1.00"})
            world.run(poll, world.portal_id)
            again = orders_by_key(world)[order.key]
            assert again["id"] != deleted and again["properties"]["moulin_refunded_amount"] == "2.00"
            assert_orders_match(world, store)
            assert world.open_errors() == []
        finally:
            delivery.stop()


def test_the_card_reads_the_same_read_model_with_target_orders(shop):
    """No deal at all: the card lists the contact's orders with the totals on the contact, and links each to its
    HubSpot order."""
    world, store = shop
    grant_order_scopes(world)
    set_target(world, "orders")
    world.run(backfill, world.portal_id)
    orders = orders_by_key(world)
    contact = max(world.objects("contacts"), key=lambda c: int(c["properties"].get("moulin_orders_count") or 0))
    email = contact["properties"]["email"]
    mine = {o.key for o in store.live_orders() if
            ((store.get("customers", o.customer_id or "") or {}).get("email") or "").strip().lower() == email}
    host = "https://app.hubspot.test"
    with world.app.extensions["moulin.db"].session() as session:
        card = contact_orders(session, world.portal_id, contact["id"], PageRequest(1, 50), app_host=host)
    assert {o["id"] for o in card["orders"]} == mine
    assert card["totals"]["orders"] == int(contact["properties"]["moulin_orders_count"])
    for row in card["orders"]:
        assert row["dealUrl"] is None
        assert row["orderUrl"] == f"{host}/contacts/{world.portal_id}/record/0-123/{orders[row['id']]['id']}"


def test_the_nightly_reconcile_archives_a_vanished_order_of_a_store_sending_only_orders(shop):
    world, store = shop
    grant_order_scopes(world)
    set_target(world, "orders")
    world.run(backfill, world.portal_id)
    victim = next(iter(store.live_orders()))
    store.delete("orders", victim.id)
    report = world.run(reconcile, world.portal_id)
    assert report["archived"] == 1 and report["healed"] == 0  # no deal to compare: nothing "drifted"
    assert_orders_match(world, store)
    assert world.objects("deals") == []


@pytest.mark.parametrize("target", ["orders", "both"])
def test_the_nightly_reconcile_repairs_hubspot_orders_drift_like_deals(shop, target):
    world, store = shop
    grant_order_scopes(world)
    set_target(world, target)
    world.run(backfill, world.portal_id)
    orders, deals = orders_by_key(world), world.deals_by_key()
    staged, priced = sorted(orders)[:2]
    stage = orders[staged]["properties"]["hs_pipeline_stage"]
    other = next(s for s in order_setup(world).order_stage_ids.values() if s != stage)
    world.state.user_update(world.portal_id, "orders", orders[staged]["id"], {"hs_pipeline_stage": other})
    world.state.user_update(world.portal_id, "orders", orders[priced]["id"], {"hs_total_price": "0.01"})

    report = world.run(reconcile, world.portal_id)
    assert report["healed"] == 2
    healed = assert_orders_match(world, store)
    assert {k: o["id"] for k, o in healed.items()} == {k: o["id"] for k, o in orders.items()}  # in place
    assert world.deals_by_key() == deals  # nothing drifted there: nothing written
    assert world.run(reconcile, world.portal_id)["healed"] == 0
    assert world.open_errors() == []
