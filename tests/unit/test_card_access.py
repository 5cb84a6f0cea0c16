"""Pure parts of the card backend: who signed the request, which portal, which page."""
from __future__ import annotations

import time

import pytest
from cryptography.fernet import Fernet
from werkzeug.datastructures import MultiDict

from hubspot_app.card.access import contact_id_of, external_url, signed_portal
from hubspot_app.card.errors import BadRequest, Forbidden, NotSigned
from hubspot_app.card.read_model import MAX_PAGE, MAX_PER_PAGE, PageRequest
from hubspot_app.config import Config
from sandbox.card_fetch import hubspot_fetch

CONFIG = Config(secret_key="k", hubspot_client_id="id", hubspot_client_secret="shh", app_base_url="https://app.test",
                token_encryption_keys=(Fernet.generate_key().decode(),), hubspot_app_id=4242)


def check(request, config=CONFIG, now_ms=None):
    path, _, query = request.path_and_query.partition("?")
    url = external_url(config, path, query.encode())
    args = MultiDict([tuple(pair.split("=", 1)) for pair in query.split("&")])
    return signed_portal(config, request.method, url, request.body, request.headers, args, now_ms=now_ms)


def test_the_portal_comes_from_the_signed_query_even_with_escaped_characters():
    request = hubspot_fetch("shh", "https://app.test", "GET", "/card/orders", {"contactId": "5"}, portal_id=77,
                            user_email="o'brien+rep@shop.example")
    assert "%40" in request.path_and_query and "%27" in request.path_and_query
    assert check(request) == 77


def test_wrong_secret_and_stale_timestamp_are_not_signed():
    with pytest.raises(NotSigned):
        check(hubspot_fetch("other", "https://app.test", "GET", "/card/orders", portal_id=77))
    old = int(time.time() * 1000) - 301_000
    with pytest.raises(NotSigned):
        check(hubspot_fetch("shh", "https://app.test", "GET", "/card/orders", portal_id=77, timestamp_ms=old))


def test_signed_for_another_host_is_not_signed_for_us():
    with pytest.raises(NotSigned):
        check(hubspot_fetch("shh", "https://evil.test", "GET", "/card/orders", portal_id=77))


def test_app_id_must_be_ours_when_we_know_it():
    with pytest.raises(Forbidden):
        check(hubspot_fetch("shh", "https://app.test", "GET", "/card/orders", portal_id=77, app_id=1))
    assert check(hubspot_fetch("shh", "https://app.test", "GET", "/card/orders", portal_id=77, app_id=1),
                 config=CONFIG.with_overrides(hubspot_app_id=None)) == 77


def test_missing_portal_is_a_bad_request():
    request = hubspot_fetch("shh", "https://app.test", "GET", "/card/orders", portal_id=77)
    stripped = request.path_and_query.replace("portalId=77", "portalId=")
    from hubspot_app.hubspot.signature import sign_v3

    headers = dict(request.headers, **{"X-HubSpot-Signature-v3": sign_v3(
        "shh", "GET", "https://app.test" + stripped, b"", request.headers["X-HubSpot-Request-Timestamp"])})
    with pytest.raises(BadRequest):
        check(type(request)("GET", stripped, "", headers, b""))


def test_external_url_keeps_the_raw_query():
    assert external_url(CONFIG, "/card/orders", b"a=1&b=x%40y") == "https://app.test/card/orders?a=1&b=x%40y"
    assert external_url(CONFIG, "/card/orders", b"") == "https://app.test/card/orders"


@pytest.mark.parametrize("value", ["", None, "abc", "1 2", "-4", "1" * 21])
def test_contact_id_must_be_a_record_id(value):
    with pytest.raises(BadRequest):
        contact_id_of(value)


def test_paging_is_clamped_not_refused():
    assert PageRequest.parse(None, None) == PageRequest(1, 10)
    assert PageRequest.parse("0", "0") == PageRequest(1, 1)
    assert PageRequest.parse("3", "10000") == PageRequest(3, MAX_PER_PAGE)
    assert PageRequest.parse("9" * 30, "x") == PageRequest(MAX_PAGE, 10)
