"""Fixtures for the hostile-input tests: an installed portal and requests signed (v3) over any raw bytes."""
from __future__ import annotations

import time

import pytest

from hubspot_app.hubspot.signature import sign_v3
from tests.webhook_support import BASE, PORTAL, SECRET, install, store


@pytest.fixture
def installed(app):
    with app.extensions["moulin.db"].session() as session:
        install(session)
        session.flush()
        store(session)
    return app


def hubspot_signed(method: str, path_and_query: str, raw: bytes = b"") -> dict:
    """v3 headers over raw bytes (the official SDK signs text only; the bytes of UTF-8 text sign the same)."""
    timestamp = str(int(time.time() * 1000))
    return {"X-HubSpot-Signature-v3": sign_v3(SECRET, method, BASE + path_and_query, raw, timestamp),
            "X-HubSpot-Request-Timestamp": timestamp, "Content-Type": "application/json"}


def card_query(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"userId": 7, "userEmail": "rep@x.fr", "portalId": PORTAL,
                                              "appId": 4242, **params}.items())
    return f"?{query}"
