"""The HubSpot-order target, pure: the store's targets, the order's properties, and its plan from the same slice."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from hubspot_app.domain.records import Address
from hubspot_app.domain.store_settings import InvalidStoreSettings, StoreSettings
from hubspot_app.domain.batch import KIND, Gone, PortalShape, SourceBatch, build
from hubspot_app.domain.order_batch import OrderLinks, add_orders
from hubspot_app.domain.order_mapping import order_properties
from hubspot_app.domain.planner import (DEAL_CONTACT, LINE_ITEM_DEAL, LINE_ITEM_ORDER, ORDER_CONTACT, ORDER_DEAL, plan,
                                      waves)
from hubspot_app.domain.stages import STAGES, order_stage_state

from .records import T0, customer, line, order

STAGE_IDS = {key: f"stage-{key}" for key, _, _ in STAGES}
ORDER_STAGE_IDS = {key: f"ostage-{key}" for key, _, _ in STAGES}


def shape(deals=True, orders=True) -> PortalShape:
    return PortalShape("pipe", STAGE_IDS, {}, T0 + timedelta(hours=1), deals=deals, orders=orders,
                       order_pipeline_id="opipe", order_stage_ids=ORDER_STAGE_IDS)


def planned(orders, portal_shape, hashes=None, lines=OrderLinks(), gone=None):
    batch = SourceBatch(store="b2c", orders=orders, customers={"c1": customer()})
    built = build(batch, portal_shape, hashes or {}, {}, {})
    add_orders(built, batch, portal_shape, hashes or {}, gone or {}, lines,
               {o.key: f"https://bo/{o.id}" for o in orders})
    return built


@pytest.mark.parametrize("target, granted, expected", [
    ("deals", True, (True, False)), ("orders", True, (False, True)), ("both", True, (True, True)),
    ("orders", False, (True, False)), ("both", False, (True, False)),  # no scopes: deals, whatever was chosen
])
def test_a_store_without_the_order_scopes_stays_on_deals(target, granted, expected):
    assert StoreSettings(target=target).targets(granted) == expected


def test_a_bad_target_is_refused_by_name_and_adding_a_target_is_told_apart():
    with pytest.raises(InvalidStoreSettings, match="target: choose deals, orders, both"):
        StoreSettings.of({"target": "carts"})
    deals, both, orders = (StoreSettings(target=t) for t in ("deals", "both", "orders"))
    assert deals.targets_added(both) and orders.targets_added(both) and deals.targets_added(orders)
    assert not both.targets_added(deals) and not both.targets_added(orders) and not deals.targets_added(deals)


def test_order_properties_carry_totals_addresses_statuses_and_the_stage():
    jane = customer(addresses=[Address(street="1 rue du Four", city="Lyon", postcode="69001", country="FR")])
    o = order(total="20.00", financial_status="partially_refunded", fulfillment_status="fulfilled",
              refunded_amount=Decimal("5.00"), discounts=Decimal("1.00"), taxes=Decimal("3.33"),
              shipping=Decimal("4.90"))
    props = order_properties(o, customer=jane, company=None, pipeline_id="opipe", stage_id="ostage-shipped",
                             pickup_point=None, order_url="https://bo/o1")
    assert props["moulin_order_key"] == "b2c:o1" and props["hs_external_order_id"] == "o1"
    assert (props["hs_pipeline"], props["hs_pipeline_stage"]) == ("opipe", "ostage-shipped")
    assert (props["hs_total_price"], props["moulin_refunded_amount"]) == ("15.00", "5.00")  # net of refunds
    assert (props["hs_order_discount"], props["hs_tax"], props["hs_shipping_cost"]) == ("1.00", "3.33", "4.90")
    assert props["hs_billing_address_city"] == props["hs_shipping_address_city"] == "Lyon"
    assert props["hs_payment_status"] == "partially_refunded" and props["hs_fulfillment_status"] == "fulfilled"
    assert props["hs_external_order_url"] == "https://bo/o1" and props["hs_source_store"] == "b2c"
    assert order_stage_state("shipped") == "CLOSED" and order_stage_state("processed") == "OPEN"


def test_both_targets_plan_a_deal_and_an_order_each_with_its_own_line_items_from_one_slice():
    o = order(lines=[line("l1", "SKU-1"), line("l2", "SKU-2")])
    w = planned([o], shape()).work
    assert set(w.upserts["deals"]) == set(w.upserts["orders"]) == {"b2c:o1"}
    assert w.upserts["orders"]["b2c:o1"]["hs_pipeline_stage"] == "ostage-processed"  # the deal's stage rules
    assert set(w.upserts["order_lines"]) == {"b2c:o1:l1@order", "b2c:o1:l2@order"}  # one parent each
    assert set(w.upserts["line_items"]) == {"b2c:o1:l1", "b2c:o1:l2"}
    assert w.associations[ORDER_DEAL] == {("b2c:o1", "b2c:o1")}
    assert w.associations[ORDER_CONTACT] == w.associations[DEAL_CONTACT] == {("b2c:o1", "jane@example.com")}
    assert w.associations[LINE_ITEM_ORDER] == {("b2c:o1:l1@order", "b2c:o1"), ("b2c:o1:l2@order", "b2c:o1")}
    first_wave = {s.object_type for s in waves(plan(w))[0]}
    assert {"deals", "orders"} <= first_wave  # the order waits for nothing: one wave with the deals


def test_orders_only_plans_no_deal_and_an_unchanged_order_costs_nothing():
    o = order()
    built = planned([o], shape(deals=False))
    assert "deals" not in built.work.upserts and LINE_ITEM_DEAL not in built.work.associations
    assert ORDER_DEAL not in built.work.associations
    stored = {(KIND[t], key): digest for (t, key), digest in built.hashes.items()}
    again = planned([o], shape(deals=False), stored, OrderLinks({"b2c:o1": {"b2c:o1:l1@order": "900"}}))
    assert again.work.upserts == {} and again.work.associations == {} and again.work.archives == {}


def test_a_line_gone_from_the_order_is_archived_from_the_hubspot_order():
    o = order(lines=[line("l2", "SKU-2")])
    built = planned([o], shape(deals=False), lines=OrderLinks({"b2c:o1": {"b2c:o1:l1@order": "900"}}))
    assert built.work.archives["order_lines"] == {"900"} and built.stale_order_lines == ["b2c:o1:l1@order"]


def test_a_recreated_hubspot_order_archives_its_old_lines_and_names_their_links_to_drop():
    portal_shape = replace(shape(deals=False), settings=StoreSettings(recreate_deleted_deals=True))
    built = planned([order(lines=[line("l1", "SKU-1")])], portal_shape,
                    lines=OrderLinks(orphaned={"b2c:o1": {"b2c:o1:l1@order": "900"}}),
                    gone={("order", "b2c:o1"): Gone("deleted_in_hubspot", "old")})
    assert built.work.archives["order_lines"] == {"900"}  # it hangs on the deleted order: it cannot move
    assert set(built.work.upserts["order_lines"]) == {"b2c:o1:l1@order"}  # a fresh one, under the same key
    assert built.orphaned == {"order_lines": ["b2c:o1:l1@order"]}  # the old link goes before the fresh is saved


def test_the_store_gets_the_link_of_the_hubspot_order_beside_the_deal():
    from hubspot_app.domain.links_back import OrderRecords, wanted_links

    wanted = wanted_links("https://app.test", 42, [OrderRecords("o1", None, None, None, None, order_hubspot_id="7")])
    assert wanted[("order", "o1")] == {"deal": None,
                                       "order": {"id": "7", "url": "https://app.test/contacts/42/record/0-123/7"}}
