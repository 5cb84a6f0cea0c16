"""Generated orders: status, lines and amounts (prices include VAT), checkouts, refunds, spoilt records.

`order_totals` and `make_line` are shared with the admin edits (edits.py), so an edited order adds up
the way a generated one does.
"""
from __future__ import annotations

import random
from decimal import Decimal

from .catalogue import NOTES, PICKUP_POINTS, PRODUCTS
from .formats import CENT, iso, money

TAX_RATE = Decimal("0.055")  # reduced French VAT on food: the shop sells flour, oil, mustard
STATUS_WEIGHTS = (("cart", 6), ("checkout", 4), ("pending", 5), ("paid", 10), ("processing", 5),
                  ("ready_for_pickup", 5), ("shipped", 10), ("completed", 40), ("cancelled", 6),
                  ("refunded", 4), ("partially_refunded", 5))
FINANCIAL = {"cart": None, "checkout": None, "pending": "pending", "cancelled": "voided", "refunded": "refunded",
             "partially_refunded": "partially_refunded"}
FULFILMENT = {"shipped": "fulfilled", "completed": "fulfilled", "ready_for_pickup": "ready", "processing": "partial"}
OPEN_CHECKOUT = ("cart", "checkout")


def order_totals(lines: list[dict], shipping: Decimal) -> dict:
    """Amounts of an order from its lines (prices include VAT); shared by the generator and admin edits."""
    subtotal = sum((Decimal(l["unit_price"]) * l["quantity"] - Decimal(l["discount"]) for l in lines), Decimal(0))
    return {"subtotal": money(subtotal), "discounts": money(sum((Decimal(l["discount"]) for l in lines), Decimal(0))),
            "taxes": money(sum((Decimal(l["tax"]) for l in lines), Decimal(0))),
            "shipping": money(shipping), "total": money(subtotal + shipping)}


def make_line(order_id: str, n: int, product: dict, variant: dict, quantity: int, discount: Decimal) -> dict:
    gross = Decimal(variant["price"]) * quantity - discount
    return {"id": f"{order_id}-l{n}", "sku": variant["sku"], "product_id": product["id"], "variant_id": variant["id"],
            "title": f"{product['title']} – {variant['title']}", "quantity": quantity,
            "unit_price": variant["price"], "discount": money(discount),
            "tax": money(gross * TAX_RATE / (1 + TAX_RATE))}


class OrderGenerator:
    """Part of `Generator` (generator.py): uses its draws, collections, catalogue, order ownership and tracking.

    Every draw comes from one `random.Random` per order, in a fixed sequence: the helpers below are
    called in that sequence, so reordering them changes every generated order.
    """

    def order(self, j: int) -> dict:
        rng = self.rng("order", j)
        col = self.collections["orders"]
        updated = col.updated_us(j)
        status = rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
        guest = status in OPEN_CHECKOUT and rng.random() < 0.3
        k = None if guest else self.customer_of_order(j)
        company = None if k is None else self.company_of_customer(k)
        lines = self._order_lines(rng, col.id_of(j), company)
        pickup = rng.randrange(len(PICKUP_POINTS)) if rng.random() < 0.35 else None
        created = updated - rng.randint(0, 2 * 86_400 if status in OPEN_CHECKOUT else 30 * 86_400) * 1_000_000
        record = self._order_record(j, rng, status, lines, created, updated, customer=k, company=company,
                                    pickup=pickup)
        tracking = self.tracking(j, k, created) if record["source"] == "web" else None
        if tracking is not None:
            record["tracking"] = tracking
        _settle(record, rng, updated)
        if self.is_bad("order", j):
            _spoil_order(record, rng)
        return record

    def _order_lines(self, rng: random.Random, order_id: str, company: int | None) -> list[dict]:
        huge = rng.random() < 0.001
        n_lines = rng.randint(40, 120) if huge else rng.choices(range(1, 9), (30, 25, 15, 10, 8, 6, 4, 2))[0]
        lines = []
        for n in range(n_lines):
            product = self._catalogue[rng.randrange(len(PRODUCTS))]
            variant = rng.choice(product["variants"])
            discount = Decimal(variant["price"]) * Decimal("0.1") if rng.random() < 0.1 else Decimal(0)
            # B2B buyers take up to 50 of a size; company index 0 falls to 5, as it always has (the data stay put).
            lines.append(make_line(order_id, n, product, variant, rng.randint(1, 50 if company else 5),
                                   discount.quantize(CENT)))
        return lines

    def _order_record(self, j: int, rng: random.Random, status: str, lines: list[dict], created: int, updated: int,
                      *, customer: int | None, company: int | None, pickup: int | None) -> dict:
        ids = self.collections
        return {
            "id": ids["orders"].id_of(j), "number": f"{self.store_code.upper()}-{100000 + j}", "store": self.store_code,
            "status": status, "financial_status": FINANCIAL.get(status, "paid"),
            "fulfillment_status": FULFILMENT.get(status), "currency": "EUR", **_amounts(lines, pickup),
            "taxes_included": True, "refunded_amount": "0.00",
            "total_weight_grams": sum(l["quantity"] for l in lines) * 1000,
            "created_at": iso(created), "updated_at": iso(updated), "cancelled_at": None, "cancel_reason": None,
            "source": rng.choice(("web", "web", "pos", "phone")), "landing_site": "/",
            "referring_site": rng.choice((None, "https://www.google.com/", "https://www.instagram.com/")),
            "cart_token": f"ct_{self.seed}_{j}" if status in OPEN_CHECKOUT else None,
            "abandoned_checkout_url": (f"https://boutique.moulin.example/checkout/{self.seed}-{j}"
                                       if status == "checkout" else None),
            "pickup_point_id": ids["pickup_points"].id_of(pickup) if pickup is not None else None,
            "customer_id": ids["customers"].id_of(customer) if customer is not None else None,
            "company_id": ids["companies"].id_of(company) if company is not None else None,
            "lines": lines, "note": rng.choice(NOTES),
        }


def _amounts(lines: list[dict], pickup: int | None) -> dict:
    # Shipping is free from 60 € of goods (before discounts) and for pickup orders.
    subtotal = sum(Decimal(l["unit_price"]) * l["quantity"] for l in lines)
    shipping = Decimal(0) if pickup is not None or subtotal >= 60 else Decimal("4.90")
    return order_totals(lines, shipping)


def _settle(record: dict, rng: random.Random, updated: int) -> None:
    """The money and dates a refunded or cancelled order carries."""
    status = record["status"]
    if status == "refunded":
        record["refunded_amount"] = record["total"]
    elif status == "partially_refunded":
        record["refunded_amount"] = money(Decimal(record["total"]) * Decimal(rng.randint(10, 60)) / 100)
    elif status == "cancelled":
        record["cancelled_at"] = iso(updated)
        record["cancel_reason"] = rng.choice(("customer", "inventory", "fraud", "declined", "other"))


def _spoil_order(record: dict, rng: random.Random) -> None:
    kind = rng.randrange(4)
    if kind == 0:
        record["currency"] = rng.choice(("ZZZ", "EURO", "€"))
    elif kind == 1:
        record["lines"][0]["quantity"] = -rng.randint(1, 5)
    elif kind == 2:
        del record["number"]
    else:
        del record["created_at"]
