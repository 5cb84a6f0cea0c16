"""The pure rules behind issue 11: one contact for customers sharing an address, and the one totals function."""
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hubspot_app.domain.records import Address
from hubspot_app.domain import mapping
from hubspot_app.sync.identity import merge_customers
from hubspot_app.domain.mapping import ContactStats, OrderFacts, contact_stats

from .records import T0, customer


def test_customers_sharing_an_address_merge_the_same_way_whatever_the_order():
    older = customer("c1", first_name="Jeanne", last_name="Dupont", phone="+33 1", accepts_marketing=True,
                     addresses=[Address(city="Lyon")])
    newer = customer("c2", email=" JANE@example.com", first_name="Jane", last_name=None, phone=None)
    newer = replace(newer, updated_at=T0 + timedelta(days=1))
    for accounts in ([older, newer], [newer, older]):
        merged = merge_customers(accounts)
        assert merged.id == "c2" and merged.first_name == "Jane"  # the most recently updated account leads
        assert merged.last_name == "Dupont" and merged.phone == "+33 1"  # its empty fields take the other's
        assert merged.addresses[0].city == "Lyon" and merged.accepts_marketing is True
    tie = customer("c9", first_name="Zed")
    assert merge_customers([tie, older]).id == "c1"  # same instant: the smallest id


def test_totals_count_purchases_only_and_keep_each_currency_apart():
    facts = [OrderFacts(T0, Decimal("10.00"), True, currency="EUR"),
             OrderFacts(T0 + timedelta(days=1), Decimal("4.50"), True, currency="CHF"),
             OrderFacts(T0 + timedelta(days=2), Decimal("99.00"), False, currency="USD")]  # a cart
    stats = contact_stats(facts)
    assert stats.orders_count == 2 and stats.lifetime_value == Decimal("14.50")
    assert stats.value_by_currency == (("CHF", Decimal("4.50")), ("EUR", Decimal("10.00")))


def test_empty_totals_are_sent_as_empty_strings_so_hubspot_clears_them():
    props = mapping.stats_properties(ContactStats())
    assert set(props) == set(mapping.STATS_PROPERTIES)
    assert props["moulin_orders_count"] == "0" and props["moulin_skus_bought"] == ""
    assert props["moulin_first_order_date"] == props["moulin_last_pickup_point"] == ""
    assert mapping.contact_properties(customer(), ContactStats())["moulin_categories_bought"] == ""
