"""Builders for Moulin records in unit tests."""
from datetime import datetime, timezone
from decimal import Decimal

from hubspot_app.domain.records import Company, Customer, Order, OrderLine, Product, Variant

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def customer(id="c1", email="Jane@Example.com ", **kw):
    return Customer(id=id, email=email, first_name=kw.pop("first_name", "Jane"), last_name=kw.pop("last_name", "Doe"),
                    created_at=T0, updated_at=T0, **kw)


def company(id="co1", **kw):
    return Company(id=id, name=kw.pop("name", "Boulangerie Dupont"), siret=kw.pop("siret", "12345678900011"),
                   created_at=T0, updated_at=T0, **kw)


def line(id="l1", sku="SKU-1", qty=1, price="10.00", **kw):
    return OrderLine(id=id, sku=sku, title=kw.pop("title", f"Item {sku}"), quantity=qty, unit_price=Decimal(price), **kw)


def order(id="o1", number="1001", store="b2c", status="paid", lines=None, total="20.00", **kw):
    lines = [line("l1", "SKU-1", 2)] if lines is None else lines
    return Order(id=id, number=number, store=store, status=status, currency=kw.pop("currency", "EUR"),
                 subtotal=Decimal(total), total=Decimal(total), created_at=kw.pop("created_at", T0),
                 updated_at=kw.pop("updated_at", T0), customer_id=kw.pop("customer_id", "c1"), lines=lines, **kw)


def product(sku="SKU-1", variants=(), **kw):
    return Product(id=kw.pop("id", "p1"), sku=sku, title=kw.pop("title", "Flour"), price=Decimal("5.00"), currency="EUR",
                   product_type=kw.pop("product_type", "Baking"), vendor=kw.pop("vendor", "Moulin"),
                   variants=[Variant(id=f"v{i}", sku=s, title=s, price=Decimal("6.00")) for i, s in enumerate(variants)],
                   created_at=T0, updated_at=T0, **kw)
