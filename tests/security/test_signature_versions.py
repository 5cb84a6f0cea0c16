"""Finding: the card API and the webhook receiver accepted v1/v2 signatures, which carry no timestamp.

A v1 signature of a GET is sha256(client_secret + ""): one fixed value that read any portal's card forever,
and a captured v1 webhook delivery replayed after the v3 window. Only v3 is accepted now.
"""
from __future__ import annotations

import hashlib
import json
import logging

import pytest
from hubspot.utils.signature import Signature

from tests.security.conftest import card_query, hubspot_signed
from tests.webhook_support import BASE, SECRET, event

pytestmark = pytest.mark.db


def _legacy(version: str, method: str, url: str, body: str) -> dict:
    # Signed by HubSpot's official SDK, exactly as HubSpot computes v1/v2.
    return {"X-HubSpot-Signature": Signature.get_signature(SECRET, body, version, url, method),
            "X-HubSpot-Signature-Version": version, "Content-Type": "application/json"}


def _rejections(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "event", "") in ("card.signature.rejected", "webhook.rejected")]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_card_refuses_a_legacy_signature_with_one_log_line(installed, client, caplog, version):
    path = "/card/orders" + card_query(contactId=5)
    headers = _legacy(version, "GET", BASE + path, "")
    if version == "v1":  # the fixed, replayable value the issue describes
        assert headers["X-HubSpot-Signature"] == hashlib.sha256(SECRET.encode()).hexdigest()
    caplog.set_level(logging.WARNING)
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_signature"
    lines = _rejections(caplog)
    assert len(lines) == 1 and "v3 is required" in lines[0].reason


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_webhook_refuses_a_legacy_signature_with_one_log_line(installed, client, caplog, version):
    body = json.dumps([event("contact.deletion", 9, 1_000)])
    caplog.set_level(logging.WARNING)
    response = client.post("/webhooks/hubspot", data=body,
                           headers=_legacy(version, "POST", BASE + "/webhooks/hubspot", body))
    assert response.status_code == 401
    lines = _rejections(caplog)
    assert len(lines) == 1 and "v3 is required" in lines[0].reason


def test_v3_beside_a_legacy_header_is_still_accepted(installed, client):
    """HubSpot sends v1 beside v3: the v3 signature decides."""
    body = json.dumps([event("contact.deletion", 9, 1_000)])
    headers = {**_legacy("v1", "POST", BASE + "/webhooks/hubspot", body),
               **hubspot_signed("POST", "/webhooks/hubspot", body.encode())}
    assert client.post("/webhooks/hubspot", data=body, headers=headers).status_code == 200
