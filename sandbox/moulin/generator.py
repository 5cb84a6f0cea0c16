"""Deterministic sample data for a Moulin store: record i is a pure function of (seed, i).

Nothing is held in memory: a page of a million orders is computed on demand.
Each collection's `updated_at` grows strictly with the index (index * step plus
a jitter smaller than the step), so the order (updated_at, id) is index order
and a cursor maps back to an index by arithmetic.

What each collection's records look like lives beside it: people.py (customers,
companies), products.py (products, pickup points), orders.py, visits.py (tracking).
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import gcd
from typing import Callable

from .catalogue import PICKUP_POINTS, PRODUCTS
from .formats import to_us
from .orders import OrderGenerator
from .people import PeopleGenerator
from .products import ProductGenerator
from .visits import VisitGenerator

DELETED_ORDER_RATE = 0.01


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


class Generator(PeopleGenerator, ProductGenerator, OrderGenerator, VisitGenerator):
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

    # -- who owns what ---------------------------------------------------------------------------

    @property
    def n_customers(self) -> int:
        return self.collections["customers"].count

    def customer_of_order(self, j: int) -> int:
        return (j * self._a + self.seed) % self.n_customers

    def orders_of_customer(self, k: int) -> range:
        first = ((k - self.seed) * self._a_inv) % self.n_customers
        return range(first, self.collections["orders"].count, self.n_customers)
