"""Signature v3 as HubSpot specifies it, checked against the official SDK's own implementation."""
import pytest
from hubspot.utils.signature import Signature

from hubspot_app.hubspot.signature import hubspot_uri, sign_v3, verify_request

SECRET = "app-client-secret"
NOW = 1_790_000_000_000


def headers_v3(method, url, body, ts=NOW, secret=SECRET):
    return {"X-HubSpot-Signature-v3": sign_v3(secret, method, url, body, ts), "X-HubSpot-Request-Timestamp": str(ts)}


def test_v3_matches_the_official_sdk():
    url = "https://app.example.com/webhooks/hubspot"
    body = '[{"eventId":1,"subscriptionType":"contact.creation"}]'
    assert sign_v3(SECRET, "POST", url, body, NOW) == Signature.get_signature(SECRET, body, "v3", url, "POST", str(NOW))


def test_uri_partial_decoding_only_listed_escapes():
    url = "https://a.example/card?userEmail=jo%40x.fr&q=a%3Ab%2Fc%3F%21%24%27%28%29%2A%2C%3B&space=a%20b&pct=%25"
    assert hubspot_uri(url) == "https://a.example/card?userEmail=jo@x.fr&q=a:b/c?!$'()*,;&space=a%20b&pct=%25"
    assert hubspot_uri("x%3a%2f") == "x:/"


def test_valid_v3_with_encoded_query_and_unicode_body():
    url = "https://a.example/api/card?portalId=62515&userEmail=l%C3%A9a%40moulin.fr"
    body = '{"name":"Léa Crémieux ☕"}'.encode()
    assert verify_request(SECRET, "GET", url, body, headers_v3("GET", url, body), now_ms=NOW).ok


@pytest.mark.parametrize(
    "change,reason",
    [
        (dict(secret="other"), "mismatch"),
        (dict(body=b'{"tampered":1}'), "mismatch"),
        (dict(ts=NOW - 301_000), "window"),
        (dict(ts=NOW + 301_000), "window"),
        (dict(url="https://evil.example/webhooks/hubspot"), "mismatch"),
    ],
)
def test_rejections(change, reason):
    url, body = "https://a.example/webhooks/hubspot", b"[]"
    signed = headers_v3("POST", change.get("url", url), body, ts=change.get("ts", NOW), secret=change.get("secret", SECRET))
    check = verify_request(SECRET, "POST", url, change.get("body", body), signed, now_ms=NOW)
    assert not check.ok and reason in check.reason


def test_missing_headers_rejected():
    assert not verify_request(SECRET, "POST", "https://a/x", b"", {}, now_ms=NOW).ok
    bad_ts = {"X-HubSpot-Signature-v3": "abc", "X-HubSpot-Request-Timestamp": "yesterday"}
    assert "Timestamp" in verify_request(SECRET, "POST", "https://a/x", b"", bad_ts, now_ms=NOW).reason
