"""One store down never holds back its portal's other stores; operators can pause, disconnect and are capped.

The broken store here is a sample store that refuses our key (401) or a port
that closes every connection: the shapes a store takes when it is gone.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

import tests.integration.card.test_card_refresh_e2e as refresh_e2e
from hubspot_app.db.models import CardOrder, MoulinStore, ObjectLink, SyncCheckpoint
from hubspot_app.moulin.stores import connect_store
from hubspot_app.sync import backfill
from hubspot_app.sync.reconcile import reconcile
from tests.operator_support import csrf_token, operator_link

from .conftest import Card
from .store_support import TcpTrap

pytestmark = pytest.mark.db


def connect_broken(world, code="a-down", url=None):
    """A store the app cannot use: its URL answers 401 to our key (sorted first, so it is polled first)."""
    with world.app.app_context(), world.app.extensions["moulin.db"].session() as session:
        row, _ = connect_store(session, world.app.extensions["moulin.cipher"], world.portal_id, code, "Down shop",
                               url, "wrong-key")
        return row.id


@pytest.fixture
def two_stores(world, stores):
    good, good_server = stores(orders=12, seed=3, store_code="b-shop")
    world.connect(good, good_server)
    _, down_server = stores(orders=3, seed=4, store_code="a-down")
    connect_broken(world, url=down_server.url)
    return good


def test_the_poll_goes_on_past_a_store_that_is_down(world, two_stores):
    report = world.run(backfill.poll, world.portal_id)
    assert report["unavailable"] == ["a-down"]
    assert len(world.deals_by_key()) == sum(1 for _ in two_stores.live_orders())
    assert [e for e in world.open_errors() if e.startswith("store ")] == [
        "store poll:a-down: MoulinAuthError: HTTP 401 (unauthorized)"]


def test_a_card_refresh_shows_the_other_stores_and_names_the_one_down(world, two_stores):
    email, orders = refresh_e2e.busiest_customer(two_stores)
    contact = world.state.user_create(world.portal_id, "contacts", {"email": email})
    response = Card(world.app, world.app.test_client()).refresh(world.portal_id, str(contact.id), perPage=50)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["refresh"]["status"] == "partial"
    assert "Down shop (a-down)" in data["refresh"]["message"]
    assert sorted(o["number"] for o in data["orders"]) == sorted(o.number for o in orders)


@pytest.fixture
def operator(world):
    client = world.app.test_client()
    client.get(operator_link(world.app, world.portal_id).removeprefix("https://app.test"))
    return client


def post(operator, world, path, **form):
    page = operator.get(f"/operator/{world.portal_id}/settings").get_data(as_text=True)
    return operator.post(f"/operator/{world.portal_id}{path}", data={"csrf_token": csrf_token(page), **form},
                         follow_redirects=True)


def test_a_paused_store_is_not_called_until_resumed(world, operator):
    trap = TcpTrap()
    try:
        store_id = connect_broken(world, url=f"http://127.0.0.1:{trap.port}")
        assert "(paused)" in post(operator, world, f"/stores/{store_id}/pause", paused="on").get_data(as_text=True)
        assert world.run(backfill.poll, world.portal_id)["unavailable"] == []
        assert trap.connections == 0
        post(operator, world, f"/stores/{store_id}/pause")
        assert world.run(backfill.poll, world.portal_id)["unavailable"] == ["a-down"]
        assert trap.connections > 0
    finally:
        trap.close()


def rows(world, model, *where):
    with world.app.app_context(), world.app.extensions["moulin.db"].session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("data", ["keep", "purge"])
def test_disconnect_keeps_or_purges_the_store_data(world, stores, operator, data):
    good, server = stores(orders=6, seed=5, store_code="b-shop")
    store_id, _ = world.connect(good, server)
    world.run(backfill.backfill, world.portal_id)
    deals = rows(world, ObjectLink, ObjectLink.kind == "deal")
    assert deals == 6 and rows(world, CardOrder) == 6

    refused = post(operator, world, f"/stores/{store_id}/disconnect", data=data, confirm="nope")
    assert "type the word disconnect" in refused.get_data(as_text=True) and rows(world, MoulinStore) == 1
    page = post(operator, world, f"/stores/{store_id}/disconnect", data=data, confirm="disconnect")
    assert page.status_code == 200 and "disconnected" in page.get_data(as_text=True)
    assert rows(world, MoulinStore) == 0 and rows(world, SyncCheckpoint) == 0
    kept = data == "keep"
    assert rows(world, CardOrder) == (6 if kept else 0)
    assert rows(world, ObjectLink, ObjectLink.kind == "deal") == (6 if kept else 0)
    assert rows(world, ObjectLink, ObjectLink.kind == "contact") > 0  # contacts are shared by every store
    assert len(world.objects("deals")) == 6  # HubSpot's data is never touched


def test_the_nightly_reconcile_goes_on_past_a_store_that_is_down(world, two_stores):
    world.run(backfill.backfill, world.portal_id, "b-shop")
    deals = world.deals_by_key()
    edited = sorted(deals)[0]
    world.state.user_update(world.portal_id, "deals", deals[edited]["id"], {"amount": "0.01"})

    report = world.run(reconcile, world.portal_id)

    assert report["unavailable"] == ["a-down"] and report["healed"] == 1
    assert world.deals_by_key()[edited]["properties"]["amount"] != "0.01"
    assert any(e.startswith("store reconcile:a-down") for e in world.open_errors())


def test_a_reconcile_stopped_by_its_time_limit_archives_nothing_and_says_so(world, stores):
    store, server = stores(orders=30, seed=8, store_code="b-shop")
    world.connect(store, server)
    world.run(backfill.backfill, world.portal_id)
    gone = sorted(world.deals_by_key())[0]
    store.delete("orders", gone.split(":", 1)[1])  # its deletion event lost: only a whole pass can tell

    stopped = world.run(reconcile, world.portal_id, chunk=10, store_budget=lambda: lambda: False)
    assert stopped["stopped"] == ["b-shop"] and stopped["orders"] == 10 and stopped["archived"] == 0
    assert gone in world.deals_by_key()
    assert any(e.startswith("store reconcile:b-shop") for e in world.open_errors())

    whole = world.run(reconcile, world.portal_id, chunk=10)
    assert whole["stopped"] == [] and whole["archived"] == 1
    assert gone not in world.deals_by_key()
    assert not any(e.startswith("store reconcile:") for e in world.open_errors())
