"""Deterministic sample data for a Moulin store: record i is a pure function of (seed, i).

Nothing is held in memory: a page of a million orders is computed on demand.
Each collection's `updated_at` grows strictly with the index (index * step plus
a jitter smaller than the step), so the order (updated_at, id) is index order
and a cursor maps back to an index by arithmetic.
"""
from __future__ import annotations

import hashlib
import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from math import gcd
from typing import Callable

from .catalogue import CITIES, COMPANY_FORMS, FIRST_NAMES, LAST_NAMES, NOTES, PICKUP_POINTS, PRODUCTS, TAGS

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
CENT = Decimal("0.01")
TAX_RATE = Decimal("0.055")  # reduced French VAT on food: the shop sells flour, oil, mustard
STATUS_WEIGHTS = (("cart", 6), ("checkout", 4), ("pending", 5), ("paid", 10), ("processing", 5),
                  ("ready_for_pickup", 5), ("shipped", 10), ("completed", 40), ("cancelled", 6),
                  ("refunded", 4), ("partially_refunded", 5))
FINANCIAL = {"cart": None, "checkout": None, "pending": "pending", "cancelled": "voided", "refunded": "refunded",
             "partially_refunded": "partially_refunded"}
FULFILMENT = {"shipped": "fulfilled", "completed": "fulfilled", "ready_for_pickup": "ready", "processing": "partial"}
DELETED_ORDER_RATE = 0.01


def to_us(value: datetime) -> int:
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def iso(value_us: int) -> str:
    return from_us(value_us).isoformat()


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in plain if c.isalnum()) or "client"


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


@dataclass(frozen=True)
class Collection:
    """One generated collection: `count` records, record i built by `build(i)`."""

    name: str
    prefix: str
    count: int
    start_us: int
    step_us: int
    jitter: Callable[[int], float]
    build: Callable[[int], dict]

    def id_of(self, i: int) -> str:
        return f"{self.prefix}{i}"

    def index_of(self, record_id: str) -> int | None:
        if not record_id.startswith(self.prefix) or not record_id[len(self.prefix):].isdigit():
            return None
        i = int(record_id[len(self.prefix):])
        return i if 0 <= i < self.count and self.id_of(i) == record_id else None

    def updated_us(self, i: int) -> int:
        return self.start_us + i * self.step_us + int(self.jitter(i) * self.step_us)

    def first_at_or_after(self, ts_us: int) -> int:
        """The smallest index whose updated_at >= ts (count if none)."""
        guess = min(max((ts_us - self.start_us) // self.step_us, 0), self.count)
        while guess > 0 and self.updated_us(guess - 1) >= ts_us:
            guess -= 1
        while guess < self.count and self.updated_us(guess) < ts_us:
            guess += 1
        return guess


# Recent web checkouts carry a tracking context; HubSpot's source categories for the visits before them.
TRACKED_DAYS, TRACKED_SHARE = 30, 0.6
VISIT_SOURCES = (("ORGANIC_SEARCH", "google"), ("PAID_SEARCH", "moulin-hiver"), ("SOCIAL_MEDIA", "Instagram"),
                 ("EMAIL_MARKETING", "newsletter"), ("REFERRALS", "www.marmiton.org"), ("DIRECT_TRAFFIC", ""))
PAGES = ("/", "/farines", "/farines/t65", "/recettes/pain-de-campagne", "/moulin", "/panier")


class Generator:
    def __init__(self, *, orders: int, seed: int, bad_records: float, store_code: str, b2b_share: float,
                 start: datetime, span: timedelta = timedelta(days=730)):
        self.seed, self.bad_rate, self.store_code, self.b2b_share = seed, bad_records, store_code, b2b_share
        self.start_us, self.span_us = to_us(start), int(span.total_seconds() * 1_000_000)
        self.end_us = self.start_us + self.span_us
        n_customers = max(1, orders // 3)
        self.n_companies = max(1, n_customers // 20)
        # Order j belongs to customer (j * A + seed) mod P: invertible, so a customer's orders are found without a scan.
        self._a = next(a for a in range(7919, 7919 + n_customers + 2) if gcd(a, n_customers) == 1) % n_customers or 1
        self._a_inv = pow(self._a, -1, n_customers) if n_customers > 1 else 0
        self.collections = {
            name: Collection(name, prefix, count, self.start_us, max(1, self.span_us // max(count, 1)),
                             (lambda i, n=name: self.unit(f"jitter-{n}", i)), build)
            for name, prefix, count, build in (
                ("orders", "ord_", orders, self.order), ("customers", "cus_", n_customers, self.customer),
                ("companies", "com_", self.n_companies, self.company),
                ("products", "prd_", len(PRODUCTS), self.product),
                ("pickup_points", "pp_", len(PICKUP_POINTS), self.pickup_point))}
        self._catalogue = [self.product(p) for p in range(len(PRODUCTS))]

    # -- randomness: every draw is keyed by (seed, what, index) --------------------------------

    def _digest(self, what: str, i: int) -> int:
        return int.from_bytes(hashlib.blake2b(f"{self.seed}:{what}:{i}".encode(), digest_size=8).digest(), "big")

    def unit(self, what: str, i: int) -> float:
        return self._digest(what, i) / 2 ** 64

    def rng(self, what: str, i: int) -> random.Random:
        return random.Random(self._digest(what, i))

    def is_bad(self, what: str, i: int) -> bool:
        return self.unit(f"bad-{what}", i) < self.bad_rate

    def order_deleted(self, j: int) -> bool:
        return self.unit("deleted", j) < DELETED_ORDER_RATE

    # -- people ----------------------------------------------------------------------------------

    @property
    def n_customers(self) -> int:
        return self.collections["customers"].count

    def customer_of_order(self, j: int) -> int:
        return (j * self._a + self.seed) % self.n_customers

    def orders_of_customer(self, k: int) -> range:
        first = ((k - self.seed) * self._a_inv) % self.n_customers
        return range(first, self.collections["orders"].count, self.n_customers)

    def company_of_customer(self, k: int) -> int | None:
        if self.unit("b2b", k) >= self.b2b_share:
            return None
        return int(self.unit("company", k) * self.n_companies)

    def base_email(self, k: int) -> str:
        rng = self.rng("customer", k)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        domain = "entreprise.fr" if self.company_of_customer(k) is not None else rng.choice(
            ("exemple.fr", "courriel.fr", "laposte.net", "orange.fr"))
        return f"{ascii_slug(first)}.{ascii_slug(last)}.{k}@{domain}"

    def email_of(self, k: int) -> str | None:
        roll = self.unit("email", k)
        if roll < 0.08:
            return None  # shop customers without an email are normal (counter sales)
        if k > 0 and roll < 0.14:
            # Same person, second account: the address of customer k-1, typed in another case with spaces.
            return f"  {self.base_email(k - 1).upper()} "
        return self.base_email(k)

    def customer(self, k: int) -> dict:
        rng = self.rng("customer", k)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = self.company_of_customer(k)
        city, postcode = rng.choice(CITIES)
        col = self.collections["customers"]
        updated = col.updated_us(k)
        record = {
            "id": col.id_of(k), "email": self.email_of(k), "first_name": first, "last_name": last,
            "phone": f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "accepts_marketing": rng.random() < 0.4, "verified_email": rng.random() < 0.7,
            "tax_exempt": company is not None and rng.random() < 0.3,
            "kind": "b2b" if company is not None else "b2c",
            "company_id": self.collections["companies"].id_of(company) if company is not None else None,
            "addresses": [{"street": f"{rng.randint(1, 120)} rue {rng.choice(LAST_NAMES)}", "city": city,
                           "postcode": postcode, "region": None, "country": "FR"}],
            "tags": rng.sample(TAGS, rng.randint(0, 2)), "note": rng.choice(NOTES),
            "orders_count": len(self.orders_of_customer(k)),
            "created_at": iso(updated - rng.randint(0, 90 * 86_400) * 1_000_000), "updated_at": iso(updated),
        }
        record["consent"] = self.consent(k, record["accepts_marketing"], record["created_at"])
        if self.is_bad("customer", k):
            if rng.random() < 0.5:
                record["email"] = rng.choice(("jean.dupont@@exemple.fr", "pas-une-adresse", "élodie@", "a b@c.fr"))
            else:
                del record["created_at"]
        return record

    def consent(self, k: int, accepts: bool, at: str) -> dict:
        """The email-marketing consent the shop recorded, with when and where (the contract's `consent`)."""
        if accepts:
            state = "granted"
        else:
            state = "withdrawn" if self.unit("consent", k) < 0.5 else "unknown"
        return {"marketing_email": state, "changed_at": at if state != "unknown" else None,
                "source": "account" if state != "unknown" else None}

    # -- visitors: HubSpot's tracking cookie and what the tracking code saw ------------------------

    def hutk_of(self, visitor: str) -> str:
        """The `hubspotutk` cookie of a visitor: 32 hex characters, as HubSpot's tracking code sets it."""
        return hashlib.blake2b(f"{self.seed}:hutk:{visitor}".encode(), digest_size=16).hexdigest()

    def tracking(self, j: int, k: int | None, created_us: int) -> dict | None:
        """A share of recent web checkouts carry the visitor's tracking context (docs/attribution.md)."""
        if created_us < self.end_us - TRACKED_DAYS * 86_400_000_000 or self.unit("tracked", j) >= TRACKED_SHARE:
            return None
        return {"hutk": self.hutk_of(f"cus{k}" if k is not None else f"guest{j}"),
                "page_uri": "https://boutique.moulin.example/commande/confirmation",
                "page_name": "Commande confirmée", "ip_address": f"203.0.113.{self.rng('tracking', j).randint(1, 254)}"}

    def visits(self, hutk: str, before_us: int) -> list[dict]:
        """What HubSpot's tracking code recorded for that cookie before the checkout: 1-6 page views."""
        rng = random.Random(int(hutk[:16], 16))
        source, drill_down = rng.choice(VISIT_SOURCES)
        first = before_us - rng.randint(1, 20) * 86_400_000_000
        return [{"url": f"https://boutique.moulin.example{rng.choice(PAGES)}", "at": (first + n * 600_000_000) // 1000,
                 "source": source if n == 0 else "DIRECT_TRAFFIC", "drillDown1": drill_down if n == 0 else ""}
                for n in range(rng.randint(1, 6))]

    def company(self, c: int) -> dict:
        rng = self.rng("company", c)
        col = self.collections["companies"]
        siren = _luhn_complete([rng.randint(0, 9) for _ in range(8)])
        siret = _luhn_complete(siren + [rng.randint(0, 9) for _ in range(4)])
        siren_n = int("".join(map(str, siren)))
        name = f"{rng.choice(COMPANY_FORMS)} {rng.choice(LAST_NAMES)} & Fils"
        city, postcode = rng.choice(CITIES)
        updated = col.updated_us(c)
        return {"id": col.id_of(c), "name": name, "siret": "".join(map(str, siret)),
                "vat_number": f"FR{(12 + 3 * (siren_n % 97)) % 97:02d}{siren_n:09d}",
                "domain": f"{ascii_slug(name)}.fr",
                "address": {"street": f"{rng.randint(1, 300)} avenue de la Gare", "city": city, "postcode": postcode,
                            "region": None, "country": "FR"},
                "created_at": iso(updated - rng.randint(0, 365 * 86_400) * 1_000_000), "updated_at": iso(updated)}

    # -- catalogue -------------------------------------------------------------------------------

    def product(self, p: int) -> dict:
        rng = self.rng("product", p)
        col = self.collections["products"]
        title, product_type, base_price, sizes = PRODUCTS[p]
        sku = f"MLN-{p:03d}"
        variants = [{"id": f"var_{p}_{v}", "sku": f"{sku}-{size.replace(' ', '')}", "title": size,
                     "price": money(Decimal(base_price) * Decimal(str(factor)))} for v, (size, factor) in enumerate(sizes)]
        updated = col.updated_us(p)
        record = {"id": col.id_of(p), "sku": sku, "title": title, "product_type": product_type,
                  "description_html": f"<p>{title} du Moulin, moulu à la meule de pierre.</p>",
                  "vendor": "Moulin de la Côte", "tags": rng.sample(TAGS, rng.randint(0, 2)),
                  "image_url": f"https://images.moulin.example/{sku}.jpg", "price": variants[0]["price"],
                  "currency": "EUR", "published_at": iso(self.start_us), "variants": variants,
                  "created_at": iso(self.start_us), "updated_at": iso(updated)}
        if self.is_bad("product", p):
            record["currency"] = "EUROS"
        return record

    def pickup_point(self, i: int) -> dict:
        name, street, city, postcode = PICKUP_POINTS[i]
        return {"id": self.collections["pickup_points"].id_of(i), "name": name,
                "address": {"street": street, "city": city, "postcode": postcode, "region": None, "country": "FR"}}

    # -- orders ----------------------------------------------------------------------------------

    def order(self, j: int) -> dict:
        rng = self.rng("order", j)
        col = self.collections["orders"]
        order_id, updated = col.id_of(j), col.updated_us(j)
        status = rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
        guest = status in ("cart", "checkout") and rng.random() < 0.3
        k = None if guest else self.customer_of_order(j)
        company = None if k is None else self.company_of_customer(k)
        huge = rng.random() < 0.001
        n_lines = rng.randint(40, 120) if huge else rng.choices(range(1, 9), (30, 25, 15, 10, 8, 6, 4, 2))[0]
        lines = []
        for n in range(n_lines):
            p = rng.randrange(len(PRODUCTS))
            product = self._catalogue[p]
            variant = rng.choice(product["variants"])
            discount = Decimal(variant["price"]) * Decimal("0.1") if rng.random() < 0.1 else Decimal(0)
            lines.append(make_line(order_id, n, product, variant, rng.randint(1, 50 if company else 5),
                                   discount.quantize(CENT)))
        pickup = rng.randrange(len(PICKUP_POINTS)) if rng.random() < 0.35 else None
        subtotal = sum(Decimal(l["unit_price"]) * l["quantity"] for l in lines)
        shipping = Decimal(0) if pickup is not None or subtotal >= 60 else Decimal("4.90")
        totals = order_totals(lines, shipping)
        age = rng.randint(0, 2 * 86_400 if status in ("cart", "checkout") else 30 * 86_400)
        record = {
            "id": order_id, "number": f"{self.store_code.upper()}-{100000 + j}", "store": self.store_code,
            "status": status, "financial_status": FINANCIAL.get(status, "paid"),
            "fulfillment_status": FULFILMENT.get(status), "currency": "EUR", **totals, "taxes_included": True,
            "refunded_amount": "0.00", "total_weight_grams": sum(l["quantity"] for l in lines) * 1000,
            "created_at": iso(updated - age * 1_000_000), "updated_at": iso(updated),
            "cancelled_at": None, "cancel_reason": None,
            "source": rng.choice(("web", "web", "pos", "phone")), "landing_site": "/",
            "referring_site": rng.choice((None, "https://www.google.com/", "https://www.instagram.com/")),
            "cart_token": f"ct_{self.seed}_{j}" if status in ("cart", "checkout") else None,
            "abandoned_checkout_url": (f"https://boutique.moulin.example/checkout/{self.seed}-{j}"
                                       if status == "checkout" else None),
            "pickup_point_id": self.collections["pickup_points"].id_of(pickup) if pickup is not None else None,
            "customer_id": self.collections["customers"].id_of(k) if k is not None else None,
            "company_id": self.collections["companies"].id_of(company) if company is not None else None,
            "lines": lines, "note": rng.choice(NOTES),
        }
        tracking = self.tracking(j, k, updated - age * 1_000_000) if record["source"] == "web" else None
        if tracking is not None:
            record["tracking"] = tracking
        if status == "refunded":
            record["refunded_amount"] = record["total"]
        elif status == "partially_refunded":
            record["refunded_amount"] = money(Decimal(record["total"]) * Decimal(rng.randint(10, 60)) / 100)
        elif status == "cancelled":
            record["cancelled_at"] = iso(updated)
            record["cancel_reason"] = rng.choice(("customer", "inventory", "fraud", "declined", "other"))
        if self.is_bad("order", j):
            _spoil_order(record, rng)
        return record


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


def _luhn_complete(digits: list[int]) -> list[int]:
    """Append the check digit that makes `digits` pass the Luhn check (as SIREN and SIRET do)."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if position % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return digits + [(10 - total % 10) % 10]
