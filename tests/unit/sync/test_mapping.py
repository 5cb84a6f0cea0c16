import hashlib
import json
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, strategies as st

from hubspot_app.domain.records import Address
from hubspot_app.domain import mapping
from hubspot_app.domain.content_hash import content_hash
from hubspot_app.domain.mapping import ContactStats, OrderFacts, contact_stats

from .records import T0, company, customer, line, order, product


def test_deal_properties():
    o = order(number="1001", total="25.50", refunded_amount=Decimal("5.50"), pickup_point_id="pp1",
              source="web", cancel_reason=None)
    props = mapping.deal_properties(o, customer=customer(), company=None, pipeline_id="p1", stage_id="s1",
                                    pickup_point="Moulin Nord")
    assert props["dealname"] == "#1001 — Jane Doe"
    assert props["moulin_order_key"] == "b2c:o1"
    assert props["amount"] == "20.00"
    assert props["moulin_total"] == "25.50" and props["moulin_refunded_amount"] == "5.50"
    assert props["pipeline"] == "p1" and props["dealstage"] == "s1"
    assert props["closedate"] == str(int(T0.timestamp() * 1000))
    assert props["moulin_pickup_point"] == "Moulin Nord"
    assert "moulin_cancel_reason" not in props  # empty values are not sent
    assert all(isinstance(v, str) for v in props.values())


def test_deal_name_without_customer_uses_company_or_guest():
    assert mapping.deal_name(order(), None) == "#1001 — Guest"
    assert mapping.deal_name(order(), None, company()) == "#1001 — Boulangerie Dupont"
    assert mapping.deal_name(order(), customer(first_name=None, last_name=None)) == "#1001 — jane@example.com"


def test_contact_properties_normalised_email_and_blank_not_sent():
    props = mapping.contact_properties(customer(phone=None, addresses=[Address(city="Lyon")]), ContactStats())
    assert props["email"] == "jane@example.com"
    assert props["city"] == "Lyon"
    assert "phone" not in props and "address" not in props
    assert props["moulin_accepts_marketing"] == "false"


def test_contact_stats_recomputed_from_orders():
    facts = [
        OrderFacts(T0, Decimal("10.00"), True, "Nord", ("A", "B"), ("Baking",), ("Moulin",)),
        OrderFacts(T0 + timedelta(days=2), Decimal("30.00"), True, None, ("C", "A"), ("Tools",), ()),
        OrderFacts(T0 + timedelta(days=3), Decimal("99.00"), False, "Sud", ("Z",), (), ()),  # a cart: not counted
    ]
    stats = contact_stats(facts)
    assert stats.orders_count == 2
    assert stats.lifetime_value == Decimal("40.00")
    assert stats.average_order_value == Decimal("20.00")
    assert stats.first_order_at == T0 and stats.last_order_at == T0 + timedelta(days=2)
    assert stats.last_pickup_point == "Nord"
    assert stats.skus == ("C", "A", "B")  # newest first, no duplicates
    props = mapping.stats_properties(stats)
    assert props["moulin_skus_bought"] == "C;A;B"
    assert props["moulin_orders_count"] == "2"
    assert contact_stats([]) == ContactStats()


def test_company_properties_keyed_per_store():
    props = mapping.company_properties("b2b", company(vat_number="FR123"), "account")
    assert props["moulin_account_id"] == "b2b:co1"
    assert props["moulin_siret"] == "12345678900011" and props["moulin_vat_number"] == "FR123"


def test_product_and_variants_are_products_keyed_by_sku():
    rows = dict(mapping.product_properties(product("SKU-1", variants=("SKU-1", "SKU-1-XL"))))
    assert set(rows) == {"SKU-1", "SKU-1-XL"}
    assert rows["SKU-1-XL"]["hs_sku"] == "SKU-1-XL"
    assert rows["SKU-1-XL"]["moulin_variant_id"] == "v1"
    assert rows["SKU-1-XL"]["name"] == "Flour — SKU-1-XL"


def test_line_item_properties():
    o = order()
    props = mapping.line_item_properties(o, line("l9", "SKU-9", 3, "4.20", discount=Decimal("1.50")), "777")
    assert props["moulin_line_key"] == "b2c:o1:l9"
    assert props["quantity"] == "3" and props["price"] == "4.20" and props["hs_product_id"] == "777"
    assert props["discount"] == "0.50"  # per unit
    assert "hs_product_id" not in mapping.line_item_properties(o, line(), None)


def test_content_hash_is_order_independent_and_sensitive():
    assert content_hash({"a": "1", "b": "2"}) == content_hash({"b": "2", "a": "1"})
    assert content_hash({"a": "1"}) != content_hash({"a": "2"})


_JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                            max_leaves=6)


@given(st.dictionaries(st.text(), st.none() | st.text() | _JSON_VALUES, max_size=8))
def test_content_hash_is_the_hash_of_the_text_every_stored_hash_was_made_of(props):
    # Links store these hashes: a different text would make every record of every portal look changed once.
    text = json.dumps(props, sort_keys=True, default=str)
    assert content_hash(props) == hashlib.sha256(text.encode()).hexdigest()


def test_content_hash_of_a_typical_record_is_unchanged():
    props = {"dealname": "#B2C-1 — Zoë Ørsted", "amount": "12.50", "_contact": None, "moulin_store": "b2c"}
    assert content_hash(props) == hashlib.sha256(
        b'{"_contact": null, "amount": "12.50", "dealname": "#B2C-1 \\u2014 Zo\\u00eb \\u00d8rsted", '
        b'"moulin_store": "b2c"}').hexdigest()
