"""The port the sync engine depends on: where orders and their people come from.

`MoulinClient` implements it over HTTP; tests of the sync use a hand-written fake.
Every iterator yields validated records or a `RecordError` for each bad one, so
one bad record never stops a sync.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator, Protocol, runtime_checkable

from hubspot_app.domain.records import Company, Customer, Deletion, MarketingConsent, Order, PickupPoint, Product, RecordError


@dataclass
class CustomerLookup:
    """Everything Moulin knows about one email: every customer using it (any case) and their orders."""

    customers: list[Customer] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)


@runtime_checkable
class OrderSource(Protocol):
    def iter_customers(self, updated_since: datetime | None = None) -> Iterator[Customer | RecordError]: ...

    def iter_companies(self, updated_since: datetime | None = None) -> Iterator[Company | RecordError]: ...

    def iter_products(self, updated_since: datetime | None = None) -> Iterator[Product | RecordError]: ...

    def iter_pickup_points(self) -> Iterator[PickupPoint | RecordError]: ...

    def iter_orders(self, updated_since: datetime | None = None) -> Iterator[Order | RecordError]: ...

    def iter_deletions(self, since: datetime | None = None) -> Iterator[Deletion | RecordError]: ...

    def get_order(self, order_id: str) -> Order | RecordError: ...

    def get_customer(self, customer_id: str) -> Customer | RecordError: ...

    def lookup_customer(self, email: str) -> CustomerLookup: ...

    def put_consent(self, customer_id: str, consent: MarketingConsent) -> dict: ...

    def ping(self) -> dict: ...
