"""The sample store's generator: deterministic, lazy at any size, and covering the shop's odd cases."""
from collections import Counter
from datetime import timedelta

from hubspot_app.domain.records import Customer, Order, RecordError, normalise_email, parse_record
from sandbox.moulin import SampleStore
from sandbox.moulin.edits import EditError, apply_order_action

import pytest


def test_record_i_is_a_pure_function_of_seed_and_i():
    a, b, c = SampleStore(orders=500, seed=4), SampleStore(orders=500, seed=4), SampleStore(orders=500, seed=5)
    assert a.get("orders", "ord_123") == b.get("orders", "ord_123")
    assert a.get("orders", "ord_123") != c.get("orders", "ord_123")
    assert a.page("customers", limit=50).data == b.page("customers", limit=50).data


def test_a_million_orders_are_served_without_being_built():
    store = SampleStore(orders=1_000_000, seed=9)
    last = store.page("orders", updated_since=store.now - timedelta(hours=2), limit=1000)
    assert last.data and last.data[-1]["id"] == "ord_999999" and last.next_cursor is None
    assert store.get("orders", "ord_500000")["number"] == "B2C-600000"
    customer = store.gen.customer_of_order(777_777)
    assert 777_777 in store.gen.orders_of_customer(customer)
    assert store.gen.n_customers == 333_333


def test_the_data_covers_the_shops_cases():
    store = SampleStore(orders=3000, seed=2, b2b_share=0.2)
    orders = [parse_record(Order, raw) for raw in store.iter_raw("orders")]
    assert not any(isinstance(o, RecordError) for o in orders)  # bad_records=0 means none
    statuses = Counter(o.status.value for o in orders)
    assert set(statuses) == {"cart", "checkout", "pending", "paid", "processing", "ready_for_pickup", "shipped",
                             "completed", "cancelled", "refunded", "partially_refunded"}
    assert max(len(o.lines) for o in orders) >= 40 and min(len(o.lines) for o in orders) == 1
    assert all(o.refunded_amount == o.total for o in orders if o.status.value == "refunded")
    assert all(0 < o.refunded_amount < o.total for o in orders if o.status.value == "partially_refunded")
    assert all(o.cancelled_at and o.cancel_reason for o in orders if o.status.value == "cancelled")
    assert any(o.pickup_point_id for o in orders) and any(o.company_id for o in orders)
    carts = [o for o in orders if o.status.value in ("cart", "checkout")]
    assert any(store.now - o.updated_at > timedelta(hours=24) for o in carts)
    customers = [parse_record(Customer, raw) for raw in store.iter_raw("customers")]
    assert any(c.email is None for c in customers)
    emails = Counter(c.email for c in customers if c.email)
    assert any(n > 1 for n in emails.values())  # the same address in another case with spaces
    raw_emails = {raw["email"] for raw in store.iter_raw("customers") if raw["email"]}
    assert any(e != normalise_email(e) for e in raw_emails)
    assert any(not c.first_name.isascii() for c in customers)


def test_bad_records_appear_at_the_given_rate():
    store = SampleStore(orders=2000, seed=8, bad_records=0.1)
    counts = store.count()
    assert 150 < counts["bad_orders"] < 250
    assert counts["valid_orders"] == len(list(store.live_orders()))


def test_order_actions_change_amounts_and_move_the_order_to_the_end():
    store = SampleStore(orders=50, seed=3)
    order = next(o for o in store.live_orders() if o.status.value == "completed")
    added = apply_order_action(store, order.id, {"action": "add_line", "product": 0, "quantity": 2})
    assert len(added["lines"]) == len(order.lines) + 1
    assert store.page("orders", limit=1000).data[-1]["id"] == order.id
    removed = apply_order_action(store, order.id, {"action": "remove_line"})
    assert removed["total"] == str(order.total) and removed["updated_at"] > added["updated_at"]
    refunded = apply_order_action(store, order.id, {"action": "partial_refund", "amount": "1.00"})
    assert refunded["status"] == "partially_refunded" and refunded["refunded_amount"] == "1.00"
    with pytest.raises(EditError):
        apply_order_action(store, order.id, {"action": "explode"})
    assert apply_order_action(store, "ord_nope", {"action": "refund"}) is None
    assert apply_order_action(store, order.id, {"action": "cancel"})["status"] == "cancelled"


def test_changing_a_customer_email_moves_the_lookup():
    store = SampleStore(orders=90, seed=6)
    customer = next(c for c in store.iter_raw("customers") if c["email"])
    old = normalise_email(customer["email"])
    store.update_customer(customer["id"], {"email": "Nouvelle@Exemple.fr"})
    assert customer["id"] not in [c["id"] for c in store.lookup(old)[0]]
    found, orders = store.lookup("nouvelle@exemple.FR")
    assert [c["id"] for c in found] == [customer["id"]]
    assert orders and all(o["customer_id"] == customer["id"] for o in orders)
