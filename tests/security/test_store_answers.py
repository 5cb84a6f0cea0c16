"""What comes back from a store URL stays out of our pages, and never leads our requests elsewhere.

ALLOW_PRIVATE_STORE_URLS is on here (the tests' default), so the stand-in
stores can live on loopback: these rules hold in development too.
"""
from __future__ import annotations

import json

import pytest

from hubspot_app.moulin.stores import client_for, connect_store
from hubspot_app import bootstrap
from tests.operator_support import PORTAL_A, csrf_token, install_portals, operator_link

from .store_support import FakeDns, Recorder

pytestmark = pytest.mark.db


@pytest.fixture
def operator(app, client):
    install_portals(app, PORTAL_A)
    client.get(operator_link(app, PORTAL_A).removeprefix("https://app.test"))
    return client


@pytest.fixture
def servers():
    started: list[Recorder] = []

    def start(**kwargs) -> Recorder:
        started.append(Recorder(**kwargs))
        return started[-1]
    yield start
    for server in started:
        server.stop()


def connect(operator, url):
    page = operator.get(f"/operator/{PORTAL_A}/").get_data(as_text=True)
    return operator.post(f"/operator/{PORTAL_A}/stores", data={
        "csrf_token": csrf_token(page), "code": "b2c", "name": "Shop", "api_url": url, "api_key": "the-key"})


def test_a_redirect_is_not_followed_and_the_key_goes_nowhere_else(operator, servers):
    elsewhere = servers()
    store = servers(status=302, body="", headers={"Location": f"{elsewhere.url}/steal"})
    response = connect(operator, store.url)
    assert response.status_code == 422
    assert "redirect" in response.get_data(as_text=True)
    assert len(store.requests) == 1 and elsewhere.requests == []


ANSWERS = [
    (500, {"error": {"code": "boom", "message": "INTERNAL-SECRET db=10.0.0.5 user=admin"}}),
    (503, {"error": {"code": "down", "message": "INTERNAL-SECRET maintenance"}}),
    (400, {"error": {"code": "INTERNAL-SECRET <b>", "message": "INTERNAL-SECRET"}}),
    (200, {"store": "b2c", "name": "INTERNAL-SECRET instance-id i-0abc"}),
]


@pytest.mark.parametrize("status, body", ANSWERS)
def test_the_page_never_shows_what_the_url_answered(app, operator, servers, status, body):
    store = servers(status=status, body=json.dumps(body))
    assert "INTERNAL-SECRET" not in connect(operator, store.url).get_data(as_text=True)
    with app.app_context(), app.extensions["moulin.db"].session() as session:  # and "Test connection" later
        row, _ = connect_store(session, app.extensions["moulin.cipher"], PORTAL_A, "saved", "Saved", store.url, "k")
        store_id = row.id
    page = operator.get(f"/operator/{PORTAL_A}/").get_data(as_text=True)
    tested = operator.post(f"/operator/{PORTAL_A}/stores/{store_id}/test", data={"csrf_token": csrf_token(page)},
                           follow_redirects=True)
    assert "INTERNAL-SECRET" not in tested.get_data(as_text=True)


def test_an_endless_answer_is_not_read_whole(app, operator, servers):
    store = servers(body=json.dumps({"store": "b2c", "pad": "x" * 3_000_000}))  # a small ping, padded
    response = connect(operator, store.url)
    assert response.status_code == 422
    assert "larger than 1,000,000 bytes" in response.get_data(as_text=True)


def test_a_name_is_resolved_once_and_called_with_its_own_host(app, servers):
    """The guard connects to the address it checked, but the request still names the store's host."""
    store = servers(body='{"store": "b2c"}')
    bootstrap.adapters(app).store_resolver = FakeDns({"moulin.shop.example": ["127.0.0.1"]})
    install_portals(app, PORTAL_A)
    with app.app_context(), app.extensions["moulin.db"].session() as session:
        row, _ = connect_store(session, app.extensions["moulin.cipher"], PORTAL_A, "b2c", "Shop",
                               f"http://moulin.shop.example:{store.server.port}", "the-key")
        assert client_for(row, app.extensions["moulin.cipher"]).ping() == {"store": "b2c"}
    [request] = store.requests
    assert request.host == f"moulin.shop.example:{store.server.port}"
    assert request.headers["X-Moulin-Api-Key"] == "the-key"
