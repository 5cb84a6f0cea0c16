"""POST /card/orders/refresh against the refresher port: fresh list, Moulin down, rate limit, time budget.

The sync is replaced by a hand-written fake through `bootstrap.Adapters.card_refresher`
(the documented port); the real sync is exercised in test_card_refresh_e2e.py.
"""
from __future__ import annotations

import threading

import pytest

from hubspot_app.card.refresh import RefreshPolicy
from hubspot_app.moulin.errors import MoulinAuthError
from hubspot_app.sync.engine import MoulinDown
from hubspot_app import bootstrap

pytestmark = pytest.mark.db

A = 1001


class FakeSync:
    """Stands in for sync_customer_orders: records calls; writes one new order, fails, or hangs on demand."""

    def __init__(self, card):
        self.card, self.calls, self.error, self.hold = card, [], None, None

    def __call__(self, portal_id: int, email: str) -> dict:
        self.calls.append((portal_id, email))
        if self.hold is not None:
            self.hold.wait(5)
        if self.error is not None:
            raise self.error
        n = len(self.calls)
        self.card.orders(portal_id, 1, contact_id="11", email=email, first=900 + n)
        return {"email": email, "stores": 1, "orders": 1, "errors": 0}


@pytest.fixture
def sync(card, app):
    card.install(A)
    card.link(A, "11", "ann@example.com")
    card.orders(A, 2, contact_id="11", email="ann@example.com")
    fake = FakeSync(card)
    bootstrap.adapters(app).card_refresher = fake
    bootstrap.adapters(app).card_refresh_policy = RefreshPolicy(interval_s=10, budget_s=2)
    return fake


def numbers(response) -> list[str]:
    return [o["number"] for o in response.get_json()["orders"]]


def test_refresh_pulls_the_contact_and_answers_with_the_fresh_list(card, sync):
    response = card.refresh(A, "11")
    assert response.status_code == 200
    assert sync.calls == [(A, "ann@example.com")]
    assert numbers(response) == ["N-901", "N-2", "N-1"]
    assert response.get_json()["refresh"]["status"] == "done"
    assert numbers(card.get(A, "11")) == ["N-901", "N-2", "N-1"]


def test_refresh_when_moulin_is_down_says_so_and_keeps_the_old_data(card, sync):
    sync.error = MoulinDown("Moulin store 'b2c' is unavailable: connection refused")
    response = card.refresh(A, "11")
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"] == "unavailable"
    assert "Moulin is not answering" in body["message"] and "b2c" in body["message"]
    assert numbers(card.get(A, "11")) == ["N-2", "N-1"]
    # a failed refresh did no work: trying again (HubSpot retries a 5xx once) is not rate limited
    sync.error = None
    assert card.refresh(A, "11").status_code == 200


def test_refresh_refused_by_moulin_is_a_502(card, sync):
    sync.error = MoulinAuthError("API key refused", status=401)
    response = card.refresh(A, "11")
    assert response.status_code == 502
    assert "Moulin refused" in response.get_json()["message"]


def test_refresh_is_rate_limited_per_contact(card, sync, clock):
    card.link(A, "12", "bea@example.com")
    assert card.refresh(A, "11").status_code == 200
    clock.advance(3)
    again = card.refresh(A, "11")
    assert again.status_code == 429
    assert again.headers["Retry-After"] == "7"
    assert "Try again in 7 s" in again.get_json()["message"]
    assert len(sync.calls) == 1
    assert card.refresh(A, "12").status_code == 200  # another contact is not held back
    clock.advance(7)
    assert card.refresh(A, "11").status_code == 200
    assert [email for _, email in sync.calls] == ["ann@example.com", "bea@example.com", "ann@example.com"]


def test_refresh_over_budget_answers_in_time_and_finishes_in_the_background(card, sync, app):
    bootstrap.adapters(app).card_refresh_policy = RefreshPolicy(interval_s=10, budget_s=0.2)
    sync.hold = threading.Event()
    response = card.refresh(A, "11")
    assert response.status_code == 202
    assert response.get_json()["refresh"]["status"] == "running"
    assert numbers(response) == ["N-2", "N-1"]  # what we had, meanwhile
    assert card.refresh(A, "11").status_code == 429  # still running: no second pull
    sync.hold.set()
    for _ in range(50):
        if numbers(card.get(A, "11"))[0] == "N-901":
            break
        threading.Event().wait(0.05)
    assert numbers(card.get(A, "11")) == ["N-901", "N-2", "N-1"]


def test_refresh_needs_a_signed_request_from_an_installed_portal(card, sync):
    response = card.signed("POST", "/card/orders/refresh", body={"contactId": "11"}, portal_id=A,
                           timestamp_ms=1)
    assert response.status_code == 401
    assert card.refresh(4242, "11").status_code == 403
    assert sync.calls == []


def test_refresh_body_is_covered_by_the_signature(card, sync):
    from sandbox.card_fetch import hubspot_fetch

    from .conftest import BASE, SECRET

    request = hubspot_fetch(SECRET, BASE, "POST", "/card/orders/refresh", body={"contactId": "11"}, portal_id=A)
    response = card.client.post(request.path_and_query, headers=request.headers,
                                data=request.body.replace(b"11", b"12"))
    assert response.status_code == 401
    assert sync.calls == []
