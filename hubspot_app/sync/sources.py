"""Reading Moulin for the sync: catalogues (customers, companies, products, pickup points) and batches.

Catalogues are read once per job and kept a few minutes per store, so a stream
of push events does not re-read the whole catalogue for each order. Customers
are the bulk of a large store (one per three orders, ~0.9 KB each as records):
they are kept pickled (~0.4 KB; our own objects, never leaving the process) in a
temporary SQLite file and turned back into records per batch, only those its
orders name, so a backfill's memory does not grow with the store's history.
Unpickling skips validation (done once, on reading): a tenth of the cost of
re-validating the JSON.
"""
from __future__ import annotations

import pickle
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Iterable

from ..moulin.errors import MoulinNotFound
from ..moulin.ports import OrderSource
from hubspot_app.domain.records import Company, Customer, Order, Product, RecordError
from hubspot_app.domain.batch import SourceBatch, order_facts
from hubspot_app.domain.mapping import OrderFacts

CATALOGUE_TTL_S = 300


class CompactCustomers:
    """Customer id -> Customer, held pickled in a private temporary SQLite database (SQLite's empty file
    name: on disk past a small page cache, deleted when closed), so a run's memory does not grow with the
    store's history; a record is rebuilt when asked for. Catalogues are shared by a worker's threads."""

    _IDS_PER_QUERY = 900  # under SQLite's oldest limit on bound variables (999)

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None  # opened on the first customer: most catalogues hold none
        self._lock = threading.Lock()

    def __setitem__(self, customer_id: str, customer: Customer) -> None:
        record = pickle.dumps(customer, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._db is None:
                # a throwaway copy of Moulin's data: no journal, no sync, each insert its own statement; few
                # statements kept prepared: the insert, and not every length of `IN (...)` (`db.make_engine`)
                self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None, cached_statements=4)
                self._db.execute("PRAGMA journal_mode=OFF")
                self._db.execute("PRAGMA synchronous=OFF")
                self._db.execute("CREATE TABLE customers (id TEXT PRIMARY KEY, email TEXT, record BLOB NOT NULL)")
            self._db.execute("INSERT OR REPLACE INTO customers VALUES (?, ?, ?)", (customer_id, customer.email, record))

    def pick(self, ids: Iterable[str]) -> dict[str, Customer]:
        """The records of these ids (those it holds)."""
        return {customer_id: pickle.loads(record) for customer_id, record in self._select("record", ids).items()}

    def emails(self, ids: Iterable[str]) -> dict[str, str | None]:
        """The emails of these ids (those it holds), without rebuilding their records."""
        return self._select("email", ids)

    def _select(self, column: str, ids: Iterable[str]) -> dict[str, object]:
        ids = sorted(set(ids))
        if self._db is None or not ids:
            return {}
        found = {}
        with self._lock:
            for start in range(0, len(ids), self._IDS_PER_QUERY):
                part = ids[start:start + self._IDS_PER_QUERY]
                found.update(self._db.execute(
                    f"SELECT id, {column} FROM customers WHERE id IN ({','.join('?' * len(part))})", part))
        return found


@dataclass
class Catalogue:
    customers: CompactCustomers = field(default_factory=CompactCustomers)
    companies: dict[str, Company] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)  # by SKU, variants' SKUs too
    pickup_points: dict[str, str] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)
    loaded_at: float = field(default_factory=time.monotonic)

    @classmethod
    def load(cls, source: OrderSource, with_customers: bool = True) -> "Catalogue":
        cat = cls()
        for record in source.iter_companies():
            cat._keep(record, cat.companies)
        for record in source.iter_products():
            if isinstance(record, Product):
                cat.products[record.sku] = record
                for variant in record.variants:
                    cat.products.setdefault(variant.sku, record)
            else:
                cat.errors.append(record)
        for record in source.iter_pickup_points():
            if isinstance(record, RecordError):
                cat.errors.append(record)
            else:
                cat.pickup_points[record.id] = record.name
        if with_customers:
            for record in source.iter_customers():
                cat._keep(record, cat.customers)
        return cat

    def _keep(self, record, into: dict) -> None:
        if isinstance(record, RecordError):
            self.errors.append(record)
        else:
            into[record.id] = record

    def order_facts(self, store: str, orders: list[Order]) -> dict[str, tuple[str | None, OrderFacts]]:
        """order key -> (its customer's email, what it adds to the contact's aggregates), for the backfill's
        facts pass: of a customer it needs only the email, so no record is rebuilt."""
        emails = self.customers.emails(o.customer_id for o in orders if o.customer_id)
        batch = SourceBatch(store=store, orders=orders, products=self.products, pickup_points=self.pickup_points)
        return {o.key: (emails.get(o.customer_id), order_facts(o, batch)) for o in orders}

    def batch(self, store: str, orders: list[Order], source: OrderSource | None = None,
              customers: list[Customer] = ()) -> tuple[SourceBatch, list[RecordError]]:
        """The batch for these orders; customers the catalogue lacks are fetched one by one (absent if deleted)."""
        needed = {o.customer_id for o in orders if o.customer_id}
        known = {**self.customers.pick(needed), **{c.id: c for c in customers}}
        errors = []
        for order in orders:
            if order.customer_id and order.customer_id not in known and source is not None:
                try:
                    record = source.get_customer(order.customer_id)
                except MoulinNotFound:
                    continue  # deleted in Moulin: `identity.resolve_contacts` uses the customer as last seen
                if isinstance(record, RecordError):
                    errors.append(record)
                else:
                    known[record.id] = record
        return SourceBatch(store=store, orders=orders, customers={k: v for k, v in known.items() if k in needed},
                           companies=self.companies, products=self.products,
                           pickup_points=self.pickup_points), errors


_cache: dict[object, Catalogue] = {}
_cache_lock = threading.Lock()


def cached_catalogue(key: object, source: OrderSource, with_customers: bool = False) -> Catalogue:
    """Companies, products and pickup points of one store (and its customers if asked; else fetched per order)."""
    key = (key, with_customers)
    with _cache_lock:
        cat = _cache.get(key)
        if cat is not None and time.monotonic() - cat.loaded_at < CATALOGUE_TTL_S:
            return cat
    cat = Catalogue.load(source, with_customers=with_customers)
    with _cache_lock:
        _cache[key] = cat
    return cat
