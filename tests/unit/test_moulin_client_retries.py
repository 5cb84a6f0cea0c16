"""Transport behaviour of MoulinClient: what is retried, what is not, how errors are mapped."""
import pytest
import requests

from hubspot_app.moulin.client import MoulinClient
from hubspot_app.moulin.errors import MoulinAuthError, MoulinError, MoulinNotFound, MoulinUnavailable
from hubspot_app.domain.records import Order, RecordError

BASE = "http://moulin.test"
ORDER = {"id": "1", "number": "B2C-1", "store": "b2c", "status": "paid", "currency": "EUR", "subtotal": "10.00",
         "total": "10.00", "created_at": "2026-01-01T10:00:00+01:00", "updated_at": "2026-01-02T10:00:00+01:00",
         "lines": [{"id": "1-1", "title": "Farine T65", "quantity": 1, "unit_price": "10.00"}]}


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(sleeps):
    return MoulinClient(BASE, "k", retries=3, backoff=0.5, sleep=sleeps.append)


def test_503_then_success_is_retried(requests_mock, client, sleeps):
    requests_mock.get(f"{BASE}/orders/1", [{"status_code": 503, "json": {"error": {"code": "down", "message": "m"}}},
                                           {"status_code": 200, "json": ORDER}])
    assert isinstance(client.get_order("1"), Order)
    assert requests_mock.call_count == 2
    assert sleeps == [0.5]
    assert requests_mock.request_history[0].headers["X-Moulin-Api-Key"] == "k"


def test_400_is_not_retried_and_keeps_the_code_not_the_text(requests_mock, client, sleeps):
    requests_mock.get(f"{BASE}/orders", status_code=400,
                      json={"error": {"code": "invalid_parameter", "message": "limit too big", "field": "limit"}})
    with pytest.raises(MoulinError, match=r"^HTTP 400 \(invalid_parameter\)$") as caught:
        list(client.iter_orders())
    assert type(caught.value) is MoulinError and caught.value.status == 400 and caught.value.code == "invalid_parameter"
    assert requests_mock.call_count == 1 and sleeps == []


def test_429_honours_retry_after(requests_mock, client, sleeps):
    requests_mock.get(f"{BASE}/ping", [{"status_code": 429, "headers": {"Retry-After": "7"}},
                                       {"status_code": 200, "json": {"store": "b2c"}}])
    assert client.ping() == {"store": "b2c"}
    assert sleeps == [7.0]


def test_transient_errors_exhaust_retries_as_unavailable(requests_mock, client, sleeps):
    requests_mock.get(f"{BASE}/ping", [{"status_code": 502}, {"status_code": 504},
                                       {"exc": requests.ConnectionError}, {"status_code": 503}])
    with pytest.raises(MoulinUnavailable) as caught:
        client.ping()
    assert caught.value.status == 503
    assert requests_mock.call_count == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_timeouts_are_retried_then_succeed(requests_mock, client):
    requests_mock.get(f"{BASE}/ping", [{"exc": requests.Timeout}, {"status_code": 200, "json": {"store": "x"}}])
    assert client.ping()["store"] == "x"


@pytest.mark.parametrize("status, error", [(401, MoulinAuthError), (403, MoulinAuthError), (404, MoulinNotFound),
                                           (500, MoulinError), (422, MoulinError)])
def test_errors_are_mapped_without_retry(requests_mock, client, status, error):
    requests_mock.get(f"{BASE}/customers/c%2F1", status_code=status, text="<html>oops</html>")
    with pytest.raises(error) as caught:
        client.get_customer("c/1")
    assert type(caught.value) is error
    assert requests_mock.call_count == 1


def test_a_non_json_success_is_an_error(requests_mock, client):
    requests_mock.get(f"{BASE}/ping", text="hello")
    with pytest.raises(MoulinError, match="not JSON"):
        client.ping()


def test_pages_follow_next_cursor_and_bad_items_become_record_errors(requests_mock, client):
    requests_mock.get(f"{BASE}/orders", [{"json": {"data": [ORDER, "junk"], "next_cursor": "abc"}},
                                         {"json": {"data": [{**ORDER, "id": "2", "currency": "XXX"}],
                                                   "next_cursor": None}}])
    records = list(client.iter_orders())
    assert isinstance(records[0], Order)
    assert isinstance(records[1], RecordError) and "expected an object" in str(records[1])
    assert isinstance(records[2], RecordError) and records[2].record_id == "2" and "currency" in str(records[2])
    assert requests_mock.request_history[1].qs["cursor"] == ["abc"]


def test_updated_since_must_be_aware(client):
    from datetime import datetime
    with pytest.raises(ValueError):
        list(client.iter_orders(updated_since=datetime(2026, 1, 1)))


def test_the_client_implements_the_order_source_port(client):
    from hubspot_app.moulin.ports import OrderSource
    assert isinstance(client, OrderSource)


def test_a_repeated_cursor_stops_instead_of_looping(requests_mock, client):
    requests_mock.get(f"{BASE}/orders", json={"data": [ORDER], "next_cursor": "same"})
    with pytest.raises(MoulinError, match="same next_cursor"):
        list(client.iter_orders())
    assert requests_mock.call_count == 2
