"""Helpers shared by the webhook tests: signed deliveries (signed with the official SDK's code, not ours) and seed rows."""
from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timezone
from decimal import Decimal

from hubspot.utils.signature import Signature

from hubspot_app.db.models import CardOrder, Installation, MoulinStore, ObjectLink

SECRET = "test-client-secret"
BASE = "https://app.test"
PORTAL = 62515
APP_ID = 4242
_ids = itertools.count(1000)


def event(subscription_type: str, object_id, occurred_at: int, **extra) -> dict:
    data = {"eventId": next(_ids), "subscriptionId": 77, "portalId": PORTAL, "appId": APP_ID,
            "occurredAt": occurred_at, "subscriptionType": subscription_type, "attemptNumber": 0,
            "objectId": int(object_id), "changeSource": "CRM_UI"}
    data.update(extra)
    return data


def signed_headers(body: str, uri: str, ts: int | None = None, secret: str = SECRET) -> dict:
    ts = int(time.time() * 1000) if ts is None else ts
    return {"Content-Type": "application/json",
            "X-HubSpot-Signature-v3": Signature.get_signature(secret, body, "v3", uri, "POST", str(ts)),
            "X-HubSpot-Request-Timestamp": str(ts)}


def post_events(client, events: list[dict], **kwargs):
    body = json.dumps(events)
    return client.post("/webhooks/hubspot", data=body, headers=signed_headers(body, BASE + "/webhooks/hubspot", **kwargs))


def install(session, portal_id: int = PORTAL, status: str = "active") -> None:
    session.add(Installation(portal_id=portal_id, status=status, scopes=""))


def store(session, code: str = "shop", **settings) -> None:
    session.add(MoulinStore(portal_id=PORTAL, code=code, name=code, api_url="https://moulin.test", api_key_enc="x",
                            push_secret_enc="x", settings=settings))


def link(session, kind: str, source_key: str, hubspot_id: str | None, state: str = "synced") -> None:
    session.add(ObjectLink(portal_id=PORTAL, kind=kind, source_key=source_key, hubspot_id=hubspot_id, state=state))


def card(session, order_id: str, email: str | None, contact_id: str | None, deal_id: str | None) -> None:
    session.add(CardOrder(portal_id=PORTAL, store_code="shop", order_id=order_id, order_number=f"N{order_id}",
                          contact_email=email, hubspot_contact_id=contact_id, hubspot_deal_id=deal_id,
                          status="paid", currency="EUR", total=Decimal("10.00"),
                          ordered_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))


def replay(app, client, seed, deliveries: list[list[dict]]):
    """A clean database seeded by `seed(session)`, then `deliveries` posted one after another; returns the database."""
    from hubspot_app.db.base import Base

    database = app.extensions["moulin.db"]
    Base.metadata.drop_all(database.engine)
    database.create_all()
    with database.session() as session:
        seed(session)
    for delivery in deliveries:
        assert post_events(client, delivery).status_code == 200
    return database
