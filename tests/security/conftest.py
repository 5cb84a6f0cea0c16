"""Fixtures for the security tests: the sync world (HubSpot sandbox + sample stores on loopback) and the card's
signed calls, shared with the integration tests; an installed portal and requests signed over any raw bytes."""
from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from sqlalchemy import select

from hubspot_app.db.models import MoulinStore
from hubspot_app.hubspot.signature import sign_v3
from tests.integration.card.conftest import Card  # noqa: F401
from tests.integration.sync_flows.conftest import World, hubspot, sandbox_app, stores, world  # noqa: F401
from tests.webhook_support import BASE, PORTAL, SECRET, install

PUSH_SECRET = "push-secret"


@pytest.fixture
def installed(app):
    """An installed portal with one store whose secrets are really encrypted (signed pushes verify)."""
    cipher = app.extensions["moulin.cipher"]
    with app.extensions["moulin.db"].session() as session:
        install(session)
        session.flush()
        session.add(MoulinStore(portal_id=PORTAL, code="shop", name="Shop", api_url="https://moulin.test",
                                api_key_enc=cipher.encrypt("key"), push_secret_enc=cipher.encrypt(PUSH_SECRET)))
    return app


@pytest.fixture
def push_store(installed) -> int:
    with installed.extensions["moulin.db"].session() as session:
        return session.scalar(select(MoulinStore.id))


def hubspot_signed(method: str, path_and_query: str, raw: bytes = b"") -> dict:
    """v3 headers over raw bytes (the official SDK signs text only; the bytes of UTF-8 text sign the same)."""
    timestamp = str(int(time.time() * 1000))
    return {"X-HubSpot-Signature-v3": sign_v3(SECRET, method, BASE + path_and_query, raw, timestamp),
            "X-HubSpot-Request-Timestamp": timestamp, "Content-Type": "application/json"}


def card_query(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"userId": 7, "userEmail": "rep@x.fr", "portalId": PORTAL,
                                              "appId": 4242, **params}.items())
    return f"?{query}"


def moulin_signed(raw: bytes) -> dict:
    timestamp = str(int(time.time()))
    digest = hmac.new(PUSH_SECRET.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return {"X-Moulin-Signature": f"t={timestamp},v1={digest}", "Content-Type": "application/json"}

