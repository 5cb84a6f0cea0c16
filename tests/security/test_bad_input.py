"""Finding: unauthenticated and signed-but-odd requests caused 500s with ERROR tracebacks, and one bad event
failed a whole webhook delivery. Each now gets a 4xx naming what was wrong; the rest of a delivery goes on.
"""
from __future__ import annotations

import json
import logging
import time

import pytest
from sqlalchemy import func, select

from hubspot_app.db.models import MoulinEvent
from hubspot_app.db.models.webhooks import WebhookEvent
from tests.security.conftest import card_query, hubspot_signed, moulin_signed
from tests.webhook_support import event

pytestmark = pytest.mark.db

REFRESH = "/card/orders/refresh" + card_query()
DEEP = b"[" * 5_000 + b"]" * 5_000  # past the interpreter's recursion limit, under every cap


def count(app, model) -> int:
    with app.extensions["moulin.db"].session() as session:
        return session.scalar(select(func.count()).select_from(model))


def message(response) -> str:
    error = response.get_json()
    return json.dumps(error)


# --- unauthenticated -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/webhooks/hubspot", REFRESH])
def test_non_utf8_body_is_refused_not_a_500(installed, client, path):
    raw = b'[{"portalId": "\xff\xfe"}]'
    response = client.post(path, data=raw, headers=hubspot_signed("POST", path, raw))
    assert response.status_code == 400, response.data
    assert "UTF-8" in message(response)


@pytest.mark.parametrize("path", ["/webhooks/hubspot", "/card/orders" + card_query(contactId=5)])
def test_non_ascii_hubspot_signature_is_401(installed, client, path):
    headers = {**hubspot_signed("POST", path), "X-HubSpot-Signature-v3": "sïgnature"}
    response = client.open(path, method="POST" if "webhooks" in path else "GET", data=b"[]", headers=headers)
    assert response.status_code == 401 and response.is_json


@pytest.mark.parametrize("header", [f"t={int(time.time())},v1=sïgnature", f"t={'9' * 5000},v1=ab", "t=١٢٣,v1=ab"],
                         ids=["non-ascii-signature", "5000-digit-timestamp", "arabic-indic-digits"])
def test_odd_push_signature_headers_are_401(push_store, client, header):
    response = client.post(f"/moulin/push/{push_store}", data=b"{}", headers={"X-Moulin-Signature": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in ("invalid_signature", "stale_signature")


def test_non_ascii_oauth_state_is_a_page_not_a_500(client):
    client.get("/oauth/install")  # puts a state in this browser's session
    response = client.get("/oauth/callback?state=%C3%A9t%C3%A9&code=x")
    assert response.status_code == 400 and b"security check did not match" in response.data


@pytest.mark.parametrize("path", ["/moulin/push/99999999999999999999", "/moulin/push/9223372036854775808",
                                  "/operator/99999999999999999999/", "/moulin/push/١٢"])
def test_ids_beyond_the_integer_range_are_404(installed, client, path):
    response = client.post(path, data=b"{}") if "push" in path else client.get(path)
    assert response.status_code == 404


# --- signed, but odd ---------------------------------------------------------------------------------------------

def test_card_refresh_body_must_be_an_object(installed, client):
    raw = b'["contactId", 5]'
    response = client.post(REFRESH, data=raw, headers=hubspot_signed("POST", REFRESH, raw))
    assert response.status_code == 400 and "JSON object" in response.get_json()["message"]


@pytest.mark.parametrize("path", ["/webhooks/hubspot", REFRESH, "push"])
def test_deeply_nested_json_is_400(push_store, client, path):
    if path == "push":
        path, headers = f"/moulin/push/{push_store}", moulin_signed(DEEP)
    else:
        headers = hubspot_signed("POST", path, DEEP)
    response = client.post(path, data=DEEP, headers=headers)
    assert response.status_code == 400 and "nested too deeply" in message(response)


@pytest.mark.parametrize("data,field", [
    ({"id": "e\x001", "type": "order.updated", "data": {"id": "1"}}, "id"),  # NUL: PostgreSQL text refuses it
    ({"id": "e2", "type": "order.updated", "data": {"id": 2 ** 64}}, "data.id"),
    ({"id": "e3", "type": "order.updated", "data": {"id": "3", "lines": [{"qty": 10 ** 30}]}}, "data.lines[0].qty"),
    # "\ud800" alone is valid JSON and no text: no database, nor orjson, takes it
    ({"id": "e4", "type": "order.updated", "data": {"id": "4", "note": "caf\ud800"}}, "data.note"),
    ({"id": "e5", "type": "order.updated", "data": {"id": "5", "\udc00": "x"}}, "data"),
    ({"id": "e6", "type": "order.updated", "data": {"id": "6" * 129}}, "data.id"),  # record ids are 128 at most
])
def test_push_that_can_never_be_stored_is_400_naming_the_field(push_store, client, installed, data, field):
    raw = json.dumps(data).encode()
    response = client.post(f"/moulin/push/{push_store}", data=raw, headers=moulin_signed(raw))
    assert response.status_code == 400, response.data
    assert response.get_json()["error"]["field"] == field
    assert count(installed, MoulinEvent) == 0


@pytest.mark.parametrize("bad", [
    dict(portalId=2 ** 63), dict(occurredAt=2 ** 64), dict(objectId="1\x002"), dict(propertyName="e\x00mail"),
    dict(portalId="9" * 5000), dict(propertyValue="a\ud800b@example.com"), dict(changeSource={"\udfff": 1}),
    dict(objectId="9" * 100), dict(objectId="contact-1"),  # past the 64-character column; not an id at all
])
def test_one_bad_event_fails_alone_and_the_delivery_goes_on(installed, client, caplog, bad):
    events = [event("contact.deletion", 1, 1_000), {**event("contact.deletion", 2, 1_000), **bad},
              event("contact.deletion", 3, 1_000)]
    raw = json.dumps(events).encode()
    caplog.set_level(logging.WARNING)
    response = client.post("/webhooks/hubspot", data=raw, headers=hubspot_signed("POST", "/webhooks/hubspot", raw))
    assert response.status_code == 200
    assert count(installed, WebhookEvent) == 2
    failed = [r for r in caplog.records if getattr(r, "event", "") == "webhook.event_failed"]
    assert len(failed) == 1 and failed[0].position == 1 and failed[0].event_id == events[1]["eventId"]
