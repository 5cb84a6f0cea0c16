"""MoulinClient's side of the optional links endpoint: the capability, and re-sending after transient failures."""
import pytest

from hubspot_app.moulin.client import MoulinClient
from hubspot_app.moulin.errors import MoulinError

BASE = "http://moulin.test"
LINKS = {"portal_id": 7, "orders": [{"order_id": "o1", "deal": {"id": "9", "url": "https://h/9"}, "order": None}],
         "customers": []}


@pytest.fixture
def client():
    return MoulinClient(BASE, "k", retries=3, backoff=0.5, sleep=lambda _s: None)


@pytest.mark.parametrize("ping, supported", [
    ({"store": "b2c", "capabilities": ["hubspot_links"]}, True),
    ({"store": "b2c", "capabilities": ["something_else"]}, False),
    ({"store": "b2c"}, False),  # a store that predates the capability
    ({"store": "b2c", "capabilities": "hubspot_links"}, False),  # not a list: not understood, not assumed
])
def test_the_capability_comes_from_ping(requests_mock, client, ping, supported):
    requests_mock.get(f"{BASE}/ping", json=ping)
    assert client.supports("hubspot_links") is supported


def test_a_transient_failure_re_sends_the_same_links(requests_mock, client):
    requests_mock.put(f"{BASE}/hubspot-links", [{"status_code": 503, "json": {"error": {"code": "down"}}},
                                               {"status_code": 200, "json": {"orders": 1, "customers": 0}}])
    assert client.put_hubspot_links(LINKS) == {"orders": 1, "customers": 0}
    assert [r.json() for r in requests_mock.request_history] == [LINKS, LINKS]
    assert requests_mock.request_history[0].headers["X-Moulin-Api-Key"] == "k"


def test_a_refusal_is_not_re_sent(requests_mock, client):
    requests_mock.put(f"{BASE}/hubspot-links", status_code=400, json={"error": {"code": "invalid_body"}})
    with pytest.raises(MoulinError, match=r"HTTP 400 \(invalid_body\)"):
        client.put_hubspot_links(LINKS)
    assert requests_mock.call_count == 1
