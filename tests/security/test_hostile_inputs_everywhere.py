"""Kin of the bad-input findings: every route, with a list of hostile inputs, never answers 5xx.

Each rule in the app's URL map is called with hostile path values, bodies and headers, unsigned and (for
HubSpot's endpoints) validly signed; as a stranger and as a signed-in operator.
"""
from __future__ import annotations

import pytest

from tests.operator_support import install_portals, operator_link
from tests.security.conftest import hubspot_signed

pytestmark = pytest.mark.db

PATH_VALUES = ["1", "9223372036854775807"]  # (an existing store, a valid id beyond every table)
BODIES = [b"", b"\xff\xfe\x00\x80", b"\x00", b"[" * 5000, b'{"a":' + b"9" * 5000 + b"}", b"[1e400]", b"NaN",
          b'[{"portalId": 18446744073709551616, "occurredAt": 1}]', b'{"contactId": {"$gt": ""}, "perPage": 1e308}',
          b'{"id": "\\u0000", "type": "order.created", "data": {"id": "\\u0000"}}', b"contactId=1&perPage=-1",
          # a lone surrogate: valid JSON, no text
          b'{"id": "\\ud800", "type": "order.created", "data": {"id": "1"}, "contactId": "\\udc00"}',
          b'[{"portalId": 1, "occurredAt": 1, "subscriptionType": "contact.deletion", "objectId": 1, "x": "\\ud800"}]']
HEADERS = [{}, {"X-HubSpot-Signature-v3": "é", "X-HubSpot-Request-Timestamp": "١٢٣"},
           {"X-HubSpot-Request-Timestamp": "9" * 5000, "X-HubSpot-Signature-v3": "x"},
           {"X-Moulin-Signature": "t=" + "9" * 5000 + ",v1=é"}, {"Authorization": "Bearer é"},
           {"Content-Type": "application/json; charset=utf-16"}]
QUERIES = ["", "?contactId=" + "9" * 5000 + "&page=1e400&perPage=-9", "?state=%C3%A9&code=%00", "?token=%FF%00",
           "?portalId=1&portalId=2&appId=%00"]


def _routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for value in PATH_VALUES:
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<int:{argument}>", value).replace(f"<{argument}>", value)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, path))
    return sorted(set(routes))


def _requests(method: str, path: str):
    """Each hostile part on its own, the rest plain: queries, headers, and bodies unsigned and signed."""
    for query in QUERIES:
        yield path + query, b"", {}
    for headers in HEADERS:
        yield path, b"", headers
    for body in BODIES:
        yield path, body, {}
        yield path, body, hubspot_signed(method, path, body)


def _hit_everything(client, app) -> list[str]:
    failures = []
    for method, path in _routes(app):
        for url, body, headers in _requests(method, path):
            response = client.open(url, method=method, data=body, headers=headers)
            if response.status_code >= 500:
                failures.append(f"{method} {url[:60]} body={body[:30]!r} -> {response.status_code}")
    return failures


def test_no_route_answers_5xx_to_a_stranger(installed, client):
    assert _hit_everything(client, installed) == []


def test_no_route_answers_5xx_to_a_signed_in_operator(app, client):
    install_portals(app, 1)
    assert client.get(operator_link(app, 1).removeprefix("https://app.test")).status_code == 302
    assert _hit_everything(client, app) == []
