import hashlib
import hmac

import pytest

from hubspot_app.moulin.push import PushRejected, parse_event, verify_signature
from sandbox.moulin import sign

BODY = '{"id":"evt_1","type":"order.created","data":{"id":"42","note":"Zoë"}}'.encode()


def test_the_sender_signs_what_the_contract_says():
    expected = hmac.new(b"s3", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign("s3", BODY, 1700000000) == f"t=1700000000,v1={expected}"


@pytest.mark.parametrize("skew", [0, 299, -299, 300])
def test_fresh_signatures_pass(skew):
    verify_signature("s3", sign("s3", BODY, 1700000000), BODY, now=1700000000 + skew)


@pytest.mark.parametrize("header, now, code", [
    (sign("s3", BODY, 1700000000), 1700000301, "stale_signature"),
    (sign("s3", BODY, 1700000000), 1699999699, "stale_signature"),
    (sign("other", BODY, 1700000000), 1700000000, "invalid_signature"),
    (sign("s3", BODY + b" ", 1700000000), 1700000000, "invalid_signature"),
    ("v1=abc", 1700000000, "invalid_signature"),
    ("t=abc,v1=abc", 1700000000, "invalid_signature"),
    (None, 1700000000, "invalid_signature"),
])
def test_bad_signatures_are_rejected(header, now, code):
    with pytest.raises(PushRejected) as caught:
        verify_signature("s3", header, BODY, now=now)
    assert caught.value.status == 401 and caught.value.code == code


def test_parse_event_accepts_a_good_event_and_names_the_bad_field():
    assert parse_event(BODY)["data"]["id"] == "42"
    with pytest.raises(PushRejected) as caught:
        parse_event(b"[1, 2]")
    assert caught.value.status == 400 and "object" in str(caught.value)
    with pytest.raises(PushRejected) as caught:
        parse_event(b"\xff\xfe")
    assert caught.value.code == "malformed_json"
