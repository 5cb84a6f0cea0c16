"""POST /webhooks/hubspot: signatures (through the endpoint), deduplication, acknowledgement of what we skip."""
import json
import time

import pytest
from sqlalchemy import func, select

from hubspot_app.db.models.webhooks import WebhookEvent
from tests.webhook_support import BASE, PORTAL, event, install, post_events, signed_headers

pytestmark = pytest.mark.db
URL = BASE + "/webhooks/hubspot"


@pytest.fixture
def installed(app):
    with app.extensions["moulin.db"].session() as session:
        install(session)
    return app


def stored(app) -> int:
    with app.extensions["moulin.db"].session() as session:
        return session.scalar(select(func.count()).select_from(WebhookEvent))


def deletion(object_id=1, at=1_000):
    return [event("contact.deletion", object_id, at)]


def test_valid_v3_is_stored_and_processed(installed, client):
    response = post_events(client, deletion())
    assert response.status_code == 200 and response.get_json()["events"] == 1
    with installed.extensions["moulin.db"].session() as session:
        assert session.scalar(select(WebhookEvent.status)) == "processed"


@pytest.mark.parametrize("change,skew_ms", [
    (dict(secret="wrong-secret"), 0),
    ({}, -6 * 60 * 1000),
    ({}, +6 * 60 * 1000),
], ids=["wrong-secret", "stale", "future"])
def test_wrong_secret_and_stale_or_future_timestamps_are_401(installed, client, change, skew_ms):
    body = json.dumps(deletion())
    if skew_ms:  # taken when the test runs, not when it is collected: a long run must not drift into the window
        change = dict(ts=int(time.time() * 1000) + skew_ms)
    response = client.post("/webhooks/hubspot", data=body, headers=signed_headers(body, URL, **change))
    assert response.status_code == 401
    assert stored(installed) == 0


def test_tampered_body_is_401(installed, client):
    body = json.dumps(deletion())
    headers = signed_headers(body, URL)
    response = client.post("/webhooks/hubspot", data=body.replace("1000", "1001"), headers=headers)
    assert response.status_code == 401


def test_missing_signature_is_401(installed, client):
    assert client.post("/webhooks/hubspot", data="[]", headers={"Content-Type": "application/json"}).status_code == 401


def test_replayed_delivery_is_deduplicated(installed, client):
    events = deletion()
    first, second = post_events(client, events), post_events(client, events)
    assert first.status_code == second.status_code == 200
    assert first.get_json()["delivery_id"] != second.get_json()["delivery_id"]
    assert stored(installed) == 1


def test_retry_with_a_new_attempt_number_is_a_duplicate(installed, client):
    events = deletion()
    post_events(client, events)
    retry = [dict(events[0], attemptNumber=3)]
    assert post_events(client, retry).status_code == 200
    assert stored(installed) == 1


def test_same_event_id_for_different_objects_is_not_a_duplicate(installed, client):
    first, second = event("contact.deletion", 1, 1_000), event("contact.deletion", 2, 1_000)
    second["eventId"] = first["eventId"]
    assert post_events(client, [first, second]).status_code == 200
    assert stored(installed) == 2


def test_query_string_with_encoded_characters(installed, client):
    body = json.dumps(deletion())
    path = "/webhooks/hubspot?source=ops%40moulin.fr&note=caf%C3%A9%20cr%C3%A8me&x=a%3Ab"
    # HubSpot signs the URL with only its listed escapes decoded (%40, %3A), the others kept.
    signed_uri = BASE + "/webhooks/hubspot?source=ops@moulin.fr&note=caf%C3%A9%20cr%C3%A8me&x=a:b"
    assert client.post(path, data=body, headers=signed_headers(body, signed_uri)).status_code == 200


def test_unicode_body(installed, client):
    events = [event("contact.propertyChange", 5, 1_000, propertyName="email", propertyValue="léa.crémieux@moulin.fr",
                    note="☕ ünïcödé")]
    body = json.dumps(events, ensure_ascii=False)
    response = client.post("/webhooks/hubspot", data=body.encode(), headers=signed_headers(body, URL))
    assert response.status_code == 200 and stored(installed) == 1


def test_url_behind_a_proxy_uses_app_base_url_not_host(installed, client):
    body = json.dumps(deletion())
    # The proxy forwards to an internal host over http; HubSpot signed the public https URL.
    headers = signed_headers(body, URL)
    response = client.post("/webhooks/hubspot", data=body, headers=headers, base_url="http://10.0.0.7:8000",
                           environ_overrides={"HTTP_X_FORWARDED_HOST": "evil.example"})
    assert response.status_code == 200
    internal = signed_headers(body, "http://10.0.0.7:8000/webhooks/hubspot")
    assert client.post("/webhooks/hubspot", data=body, headers=internal,
                       base_url="http://10.0.0.7:8000").status_code == 401


def test_unknown_portal_uninstalled_portal_and_ignored_types_get_2xx(app, client):
    with app.extensions["moulin.db"].session() as session:
        install(session, portal_id=PORTAL)
        install(session, portal_id=777, status="uninstalled")
    events = [dict(event("contact.deletion", 1, 1_000), portalId=999),
              dict(event("contact.deletion", 2, 1_000), portalId=777),
              event("contact.creation", 3, 1_000),
              event("contact.propertyChange", 4, 1_000, propertyName="firstname", propertyValue="Léa"),
              event("contact.deletion", 5, 1_000)]
    response = post_events(client, events)
    assert response.status_code == 200 and response.get_json()["events"] == 5
    with app.extensions["moulin.db"].session() as session:
        assert list(session.scalars(select(WebhookEvent.object_id))) == ["5"]


def test_one_unreadable_event_does_not_block_its_batch(installed, client):
    events = [{"subscriptionType": "contact.deletion", "objectId": 1}] + deletion(object_id=2)
    response = post_events(client, events)
    assert response.status_code == 200
    with installed.extensions["moulin.db"].session() as session:
        assert list(session.scalars(select(WebhookEvent.object_id))) == ["2"]


def test_malformed_body_is_400(installed, client):
    body = '{"not": "an array"}'
    response = client.post("/webhooks/hubspot", data=body, headers=signed_headers(body, URL))
    assert response.status_code == 400


def test_generic_object_events_are_accepted(installed, client):
    generic = event("object.deletion", 11, 1_000, objectTypeId="0-3")
    assert post_events(client, [generic]).status_code == 200
    assert stored(installed) == 1
