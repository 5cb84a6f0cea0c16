"""The card API as HubSpot calls it: signed `hubspot.fetch` requests against a seeded read model."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from hubspot_app.db.models import CardOrder, Installation, MoulinStore, ObjectLink
from sandbox.card_fetch import hubspot_fetch

SECRET = "test-client-secret"  # the `make_config` fixture's client secret
BASE = "https://app.test"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Card:
    """Seeds portals, stores, contacts and orders; calls the card API the way HubSpot does."""

    def __init__(self, app, client):
        self.app, self.client = app, client
        self.db = app.extensions["moulin.db"]

    def install(self, portal_id: int, status: str = "active", store: str = "b2c",
                template: str | None = "https://bo.example/orders/{order_id}") -> None:
        with self.db.session() as session:
            session.add(Installation(portal_id=portal_id, scopes="", status=status))
            session.flush()
            session.add(MoulinStore(portal_id=portal_id, code=store, name=f"Shop {store.upper()}",
                                    api_url="https://moulin.example", api_key_enc="x", push_secret_enc="x",
                                    order_url_template=template, stage_mapping={}, settings={}))

    def link(self, portal_id: int, contact_id: str, email: str) -> None:
        with self.db.session() as session:
            session.add(ObjectLink(portal_id=portal_id, kind="contact", source_key=email, hubspot_id=contact_id))

    def orders(self, portal_id: int, n: int, *, contact_id: str | None, email: str | None, store: str = "b2c",
               first: int = 1, status: str = "paid", currency: str = "EUR", total: str = "10.00",
               url: str | None = None) -> None:
        with self.db.session() as session:
            session.add_all(CardOrder(
                portal_id=portal_id, store_code=store, order_id=f"o{i}", order_number=f"N-{i}",
                contact_email=email, hubspot_contact_id=contact_id, status=status, currency=currency,
                total=Decimal(total), refunded=Decimal("0"), item_count=i % 5 + 1, pickup_point="Lyon Part-Dieu",
                order_url=url, ordered_at=T0 + timedelta(hours=i),
            ) for i in range(first, first + n))

    def signed(self, method: str, path: str, params: dict | None = None, body: dict | None = None, *,
               portal_id: int, **kw):
        request = hubspot_fetch(SECRET, BASE, method, path, params, body, portal_id=portal_id, **kw)
        return self.client.open(request.path_and_query, method=method, headers=request.headers, data=request.body)

    def get(self, portal_id: int, contact_id: str, **params):
        return self.signed("GET", "/card/orders", {"contactId": contact_id, **params}, portal_id=portal_id)

    def refresh(self, portal_id: int, contact_id: str, **body):
        return self.signed("POST", "/card/orders/refresh", body={"contactId": contact_id, **body},
                           portal_id=portal_id)


@pytest.fixture
def card(app, client):
    return Card(app, client)
