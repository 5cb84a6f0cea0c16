"""End to end through both sandboxes: backfill, edits, deletions, stores sharing numbers, B2B, no email."""
from __future__ import annotations

from decimal import Decimal

import pytest

from hubspot_app.db.models import CardOrder
from hubspot_app.domain.records import Company, Order, parse_record
from hubspot_app.sync.backfill import backfill, poll
from hubspot_app.sync.engine import sync_customer_orders
from hubspot_app.domain.mapping import company_key, line_key
from hubspot_app.domain.stages import net_amount
from sandbox.moulin.edits import apply_order_action

pytestmark = pytest.mark.db


def live_line_items(world):
    return {li["properties"]["moulin_line_key"]: li for li in world.objects("line_items")}


def assert_matches(world, *stores):
    """HubSpot holds exactly one deal per live Moulin order, with the right amount and exactly its lines."""
    deals = world.deals_by_key()
    orders = {o.key: o for store in stores for o in store.live_orders()}
    assert set(deals) == set(orders), world.open_errors()[:5]
    lines = live_line_items(world)
    expected_lines = {line_key(o, line) for o in orders.values() for line in o.lines}
    assert set(lines) == expected_lines, world.open_errors()[:5]
    for key, order in orders.items():
        props = deals[key]["properties"]
        assert Decimal(props["amount"]) == net_amount(order), key
        assert props["moulin_order_number"] == order.number
    emails = [c["properties"].get("email") for c in world.objects("contacts")]
    assert len(emails) == len(set(emails)), "duplicate contacts"
    return deals, lines


def test_backfill_syncs_everything_once_and_a_rerun_changes_nothing(world, stores):
    store, server = stores(orders=40, seed=3, store_code="b2c")
    world.connect(store, server)
    report = world.run(backfill, world.portal_id, chunk=15)
    assert report["stores"][0]["chunks"] == 3
    deals, lines = assert_matches(world, store)
    # contacts deduplicated by normalised email, customers without email have none
    emails = {c["properties"]["email"] for c in world.objects("contacts")}
    assert all(e == e.strip().lower() for e in emails)
    # the card's read model was written in the same unit of work
    with world.app.app_context(), world.app.extensions["moulin.db"].session() as session:
        rows = session.query(CardOrder).filter_by(portal_id=world.portal_id).all()
        assert {f"{r.store_code}:{r.order_id}" for r in rows} == set(deals)
        assert all(r.hubspot_deal_id == deals[f"{r.store_code}:{r.order_id}"]["id"] for r in rows)

    calls_before = world.state.request_log.total()
    again = world.run(backfill, world.portal_id)
    assert again["stores"][0]["skipped"]
    polled = world.run(poll, world.portal_id)  # nothing changed in Moulin: no write at all
    assert polled["hubspot_calls"] == 0 or world.state.request_log.total() - calls_before == polled["hubspot_calls"]
    assert_matches(world, store)


def test_edited_order_reconciles_lines_and_deleted_order_archives_deal(world, stores):
    store, server = stores(orders=12, seed=5, store_code="b2c")
    world.connect(store, server)
    world.run(backfill, world.portal_id)
    def email_of(customer_id):
        return ((store.get("customers", customer_id or "") or {}).get("email") or "").strip().lower()

    order = next(o for o in store.live_orders() if len(o.lines) >= 2 and o.status.value not in ("cart", "checkout")
                 and email_of(o.customer_id))
    removed = line_key(order, order.lines[0])
    apply_order_action(store, order.id, {"action": "remove_line", "line_id": order.lines[0].id})
    apply_order_action(store, order.id, {"action": "add_line", "product": 1, "quantity": 2})
    apply_order_action(store, order.id, {"action": "partial_refund", "amount": "1.00"})
    world.run(poll, world.portal_id)
    deals, lines = assert_matches(world, store)
    assert removed not in lines
    edited = parse_record(Order, store.get("orders", order.id))
    assert deals[order.key]["properties"]["moulin_refunded_amount"] == "1.00"
    assert len([k for k in lines if k.startswith(order.key + ":")]) == len(edited.lines)

    # the order moves to another customer: the deal follows, and leaves the old contact
    before = world.associations("deals", deals[order.key]["id"], "contacts")
    assert len(before) == 1
    other = next(c for c in store.iter_raw("customers") if email_of(c["id"]) not in ("", email_of(order.customer_id)))
    store.save("orders", {**store.get("orders", order.id), "customer_id": other["id"]})
    world.run(poll, world.portal_id)
    deals, _ = assert_matches(world, store)
    contact_ids = world.associations("deals", deals[order.key]["id"], "contacts")
    contacts = {c["id"]: c["properties"]["email"] for c in world.objects("contacts")}
    assert [contacts[i] for i in contact_ids] == [other["email"].strip().lower()]

    victim = next(o for o in store.live_orders() if o.key != order.key)
    deal_id = deals[victim.key]["id"]
    store.delete("orders", victim.id)
    world.run(poll, world.portal_id)
    deals, _ = assert_matches(world, store)
    assert victim.key not in deals and deal_id not in {d["id"] for d in deals.values()}


def test_two_stores_with_the_same_order_numbers_get_distinct_deals(world, stores):
    shop, shop_server = stores(orders=10, seed=7, store_code="b2c")
    pro, pro_server = stores(orders=10, seed=7, store_code="b2b")
    world.connect(shop, shop_server)
    world.connect(pro, pro_server)
    first = next(shop.live_orders())
    twin = {**pro.get("orders", first.id), "number": first.number}
    pro.save("orders", twin)  # same id AND same number in both stores
    world.run(backfill, world.portal_id)
    deals, _ = assert_matches(world, shop, pro)
    assert deals[f"b2c:{first.id}"]["id"] != deals[f"b2b:{first.id}"]["id"]
    assert deals[f"b2b:{first.id}"]["properties"]["moulin_order_number"] == first.number


def test_customer_without_email_and_b2b_company(world, stores):
    store, server = stores(orders=60, seed=11, store_code="b2c", b2b_share=0.5)
    world.connect(store, server)
    world.run(backfill, world.portal_id)
    deals, _ = assert_matches(world, store)
    customers = {c["id"]: c for c in store.iter_raw("customers")}
    orders = list(store.live_orders())
    no_email = [o for o in orders if o.customer_id and not (customers[o.customer_id].get("email") or "").strip()]
    b2b = [o for o in orders if o.company_id]
    assert no_email and b2b, "the sample data should hold both cases"
    for order in no_email:
        assert world.associations("deals", deals[order.key]["id"], "contacts") == []
    companies = {c["properties"]["moulin_account_id"]: c for c in world.objects("companies")}
    for order in b2b:  # a new portal keys companies by SIRET (the legal entity)
        company = companies[company_key("b2c", parse_record(Company, store.get("companies", order.company_id)),
                                        "siret")]
        assert world.associations("deals", deals[order.key]["id"], "companies") == [company["id"]]


def test_card_refresh_syncs_one_customer_and_reports_moulin_down(world, stores):
    store, server = stores(orders=30, seed=13, store_code="b2c")
    world.connect(store, server)
    order = next(o for o in store.live_orders() if o.customer_id and store.get("customers", o.customer_id)["email"])
    email = store.get("customers", order.customer_id)["email"].strip().lower()
    report = world.run(sync_customer_orders, world.portal_id, email)
    assert report["orders"] >= 1 and report["errors"] == 0
    assert order.key in world.deals_by_key()
    server.stop()
    from hubspot_app.sync.engine import MoulinDown
    before = world.deals_by_key()
    with pytest.raises(MoulinDown):
        world.run(sync_customer_orders, world.portal_id, email)
    assert world.deals_by_key() == before


def test_record_refused_by_hubspot_is_a_per_record_error_and_heals(world, stores):
    store, server = stores(orders=10, seed=53, store_code="b2c")
    world.connect(store, server)
    world.run(backfill, world.portal_id)
    sku = store.gen.product(0)["variants"][0]["sku"]
    [product] = [p for p in world.objects("products") if p["properties"].get("hs_sku") == sku]
    world.state.user_delete(world.portal_id, "products", product["id"])  # someone deletes it in HubSpot
    order = next(o for o in store.live_orders() if o.status.value not in ("cart", "checkout"))
    apply_order_action(store, order.id, {"action": "add_line", "product": 0, "quantity": 3})

    world.run(poll, world.portal_id)  # HubSpot refuses that one line item (207); everything else goes through
    errors = world.open_errors()
    assert len(errors) == 1 and errors[0].startswith("line_item b2c:") and "does not exist" in errors[0]
    edited = parse_record(Order, store.get("orders", order.id))
    assert world.deals_by_key()[order.key]["properties"]["moulin_total"] == f"{edited.total:.2f}"

    world.run(poll, world.portal_id)  # the product is re-created, the line item lands, the error is resolved
    assert world.open_errors() == []
    assert_matches(world, store)
