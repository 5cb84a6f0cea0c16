"""GET /card/orders: who may ask (signature, portal, installation) and what they get (one contact's orders)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update

from hubspot_app.db.models import CardOrder, Installation
from sandbox.card_fetch import hubspot_fetch

from .conftest import BASE, SECRET

pytestmark = pytest.mark.db

A, B = 1001, 2002


@pytest.fixture
def two_portals(card):
    card.install(A)
    card.install(B)
    card.link(A, "11", "ann@example.com")
    card.link(B, "11", "bob@example.com")  # contact ids are per portal: the same id names someone else in B
    card.orders(A, 3, contact_id="11", email="ann@example.com")
    card.orders(B, 2, contact_id="11", email="bob@example.com", first=100, total="999.00")
    card.orders(B, 1, contact_id="22", email="carl@example.com", first=200)
    return card


def test_lists_the_contacts_orders_newest_first_with_totals(two_portals):
    card = two_portals
    card.orders(A, 1, contact_id="11", email="ann@example.com", first=50, status="cancelled")
    response = card.get(A, "11")
    assert response.status_code == 200
    data = response.get_json()
    assert [o["number"] for o in data["orders"]] == ["N-50", "N-3", "N-2", "N-1"]
    first = data["orders"][1]
    assert first == {
        "id": "b2c:o3", "number": "N-3", "store": "b2c", "storeName": "Shop B2C",
        "orderedAt": "2026-01-01T03:00:00Z", "status": "paid", "currency": "EUR", "total": "10.00",
        "refunded": "0.00", "itemCount": 4, "pickupPoint": "Lyon Part-Dieu",
        "url": "https://bo.example/orders/o3", "dealUrl": None, "orderUrl": None, "hubspotStage": None,
    }
    # a cancelled order is listed but is not a purchase
    assert data["totals"] == {"orders": 3, "value": [{"currency": "EUR", "amount": "30.00"}],
                              "lastOrderAt": "2026-01-01T03:00:00Z"}
    assert (data["totalCount"], data["totalPages"], data["email"]) == (4, 1, "ann@example.com")


def test_each_order_links_to_its_deal_on_the_hubspot_app_host(two_portals, app):
    card = two_portals
    with card.db.session() as session:
        row = session.scalar(select(CardOrder).where(CardOrder.portal_id == A, CardOrder.order_id == "o2"))
        row.hubspot_deal_id = "9001"
    orders = {o["id"]: o for o in card.get(A, "11").get_json()["orders"]}
    host = app.extensions["moulin.config"].hubspot_auth_base.rstrip("/")
    assert orders["b2c:o2"]["dealUrl"] == f"{host}/contacts/{A}/record/0-3/9001"
    assert orders["b2c:o1"]["dealUrl"] is None  # not in HubSpot (yet): no link


def test_orders_found_by_email_when_synced_before_the_contact_had_an_id(card):
    card.install(A)
    card.link(A, "11", "ann@example.com")
    card.orders(A, 2, contact_id=None, email="ann@example.com")
    card.orders(A, 1, contact_id=None, email="other@example.com", first=10)
    data = card.get(A, "11").get_json()
    assert [o["number"] for o in data["orders"]] == ["N-2", "N-1"]


def test_bad_signature_is_refused(two_portals):
    request = hubspot_fetch("not-our-secret", BASE, "GET", "/card/orders", {"contactId": "11"}, portal_id=A)
    response = two_portals.client.get(request.path_and_query, headers=request.headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_signature"
    assert "orders" not in response.get_json()


def test_a_query_changed_after_signing_is_refused(two_portals):
    request = hubspot_fetch(SECRET, BASE, "GET", "/card/orders", {"contactId": "11"}, portal_id=A)
    forged = request.path_and_query.replace(f"portalId={A}", f"portalId={B}")
    assert forged != request.path_and_query
    assert two_portals.client.get(forged, headers=request.headers).status_code == 401


def test_missing_signature_is_refused(two_portals):
    assert two_portals.client.get(f"/card/orders?contactId=11&portalId={A}").status_code == 401


def test_stale_timestamp_is_refused(two_portals):
    six_minutes_ago = int(time.time() * 1000) - 6 * 60 * 1000
    response = two_portals.signed(
        "GET", "/card/orders", {"contactId": "11"}, portal_id=A, timestamp_ms=six_minutes_ago)
    assert response.status_code == 401
    assert "5-minute" in response.get_json()["reason"]


def test_signature_is_checked_on_the_external_url_not_the_host_header(two_portals):
    """Behind a proxy Flask sees http://10.0.0.5:8000; HubSpot signed https://app.test."""
    request = hubspot_fetch(SECRET, BASE, "GET", "/card/orders", {"contactId": "11"}, portal_id=A)
    response = two_portals.client.get(request.path_and_query, headers=request.headers,
                                      base_url="http://10.0.0.5:8000")
    assert response.status_code == 200
    assert len(response.get_json()["orders"]) == 3


def test_portal_a_never_sees_portal_bs_orders(two_portals):
    # B's contact "22" asked about from A: A has no such contact, so nothing
    data = two_portals.get(A, "22").get_json()
    assert data["orders"] == [] and data["totals"]["orders"] == 0
    # the same contact id in both portals: each sees its own
    a = two_portals.get(A, "11").get_json()
    b = two_portals.get(B, "11").get_json()
    assert {o["total"] for o in a["orders"]} == {"10.00"}
    assert {o["total"] for o in b["orders"]} == {"999.00"}
    assert a["email"] == "ann@example.com" and b["email"] == "bob@example.com"


def test_portal_id_given_twice_is_refused(two_portals):
    # the card's own URL carries a portalId, HubSpot appends the real one: ambiguous, so refused
    response = two_portals.signed("GET", f"/card/orders?portalId={B}", {"contactId": "11"}, portal_id=A)
    assert response.status_code == 400


def test_request_for_another_app_is_refused(two_portals):
    response = two_portals.signed("GET", "/card/orders", {"contactId": "11"}, portal_id=A, app_id=999)
    assert response.status_code == 403


def test_unknown_contact_gets_an_empty_list(two_portals):
    response = two_portals.get(A, "987654")
    assert response.status_code == 200
    data = response.get_json()
    assert data["orders"] == [] and data["email"] is None
    assert data["totals"] == {"orders": 0, "value": [], "lastOrderAt": None}


def test_bad_contact_id_is_refused(two_portals):
    assert two_portals.get(A, "11 OR 1=1").status_code == 400


@pytest.mark.parametrize("status", ["uninstalled", None])
def test_portal_without_an_active_installation_is_refused(card, status):
    if status:
        card.install(A, status=status)
    card.orders(A, 2, contact_id="11", email="ann@example.com")
    response = card.get(A, "11")
    assert response.status_code == 403
    assert "not installed" in response.get_json()["message"]


def test_an_uninstall_is_honoured_within_seconds_and_a_new_install_at_once(card, app, clock):
    card.orders(A, 1, contact_id="11", email="ann@example.com")
    assert card.get(A, "11").status_code == 403  # a refusal is not remembered...
    card.install(A)
    assert card.get(A, "11").status_code == 200  # ...so a fresh install is served at once
    with card.db.session() as session:
        session.execute(update(Installation).where(Installation.portal_id == A).values(status="uninstalled"))
    clock.advance(4)
    assert card.get(A, "11").status_code == 200  # "active" is remembered by each worker for 5 s
    clock.advance(1)
    assert card.get(A, "11").status_code == 403


def test_contact_with_500_orders_is_paged(card):
    card.install(A, template=None)
    card.orders(A, 500, contact_id="11", email="ann@example.com",
                url=None)
    card.orders(A, 3, contact_id="11", email="ann@example.com", first=1000, currency="CHF", total="5.50")
    first = card.get(A, "11", perPage=50)
    data = first.get_json()
    assert (data["totalCount"], data["totalPages"], len(data["orders"])) == (503, 11, 50)
    assert data["orders"][0]["number"] == "N-1002" and data["orders"][0]["url"] is None
    assert data["totals"]["orders"] == 503
    assert data["totals"]["value"] == [{"currency": "CHF", "amount": "16.50"}, {"currency": "EUR", "amount": "5000.00"}]
    assert len(first.data) < 100_000  # HubSpot caps responses at 1 MB
    page2 = card.get(A, "11", page=2, perPage=50).get_json()
    assert [o["number"] for o in page2["orders"]][:2] == ["N-453", "N-452"]  # 3 CHF + N-500..N-454 fill page 1
    last = card.get(A, "11", page=11, perPage=50).get_json()
    assert [o["number"] for o in last["orders"]] == ["N-3", "N-2", "N-1"]
    # every order exactly once across the pages
    seen = [o["id"] for p in range(1, 12) for o in card.get(A, "11", page=p, perPage=50).get_json()["orders"]]
    assert len(seen) == len(set(seen)) == 503
    # a huge page size is clamped, not obeyed
    assert len(card.get(A, "11", perPage=100000).get_json()["orders"]) == 50
