"""SSRF: the app sends a store's API key only over https to public addresses, checked at every connection.

The app here runs as in production (ALLOW_PRIVATE_STORE_URLS off); names are
answered by a DNS table of the test's own, so nothing leaves the machine.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hubspot_app.db.models import MoulinStore
from hubspot_app.moulin.address_guard import StoreAddressRefused
from hubspot_app.moulin.stores import client_for, connect_store
from hubspot_app import bootstrap
from tests.operator_support import PORTAL_A, csrf_token, install_portals, operator_link

from .store_support import FakeDns, TcpTrap

pytestmark = pytest.mark.db


@pytest.fixture
def make_config(make_config):
    def build(**overrides):
        return make_config(**{"allow_private_store_urls": False, **overrides})
    return build


@pytest.fixture
def trap():
    trap = TcpTrap()
    yield trap
    trap.close()


@pytest.fixture
def dns(app):
    dns = FakeDns({"localhost": ["127.0.0.1"], "metadata.shop.example": ["169.254.169.254"],
                   "mapped.shop.example": ["::ffff:127.0.0.1"], "cgnat.shop.example": ["100.64.0.7"],
                   "half.shop.example": ["93.184.215.14", "127.0.0.1"], "v6.shop.example": ["fd00:ec2::254"]})
    bootstrap.adapters(app).store_resolver = dns
    return dns


@pytest.fixture
def operator(app, client):
    install_portals(app, PORTAL_A)
    client.get(operator_link(app, PORTAL_A).removeprefix("https://app.test"))
    return client


def stored(app):
    with app.extensions["moulin.db"].session() as session:
        return session.scalars(select(MoulinStore)).all()


TARGETS = [
    "http://localhost:{port}", "https://127.0.0.1:{port}", "https://[::1]:{port}", "https://localhost:{port}",
    "https://[::ffff:127.0.0.1]:{port}", "https://0.0.0.0:{port}", "https://169.254.169.254/latest/meta-data",
    "https://[fd00:ec2::254]/", "https://10.1.2.3/", "https://192.168.1.1/", "https://100.64.0.1/",
    "https://224.0.0.1/", "https://[ff02::1]/", "https://metadata.shop.example/", "https://mapped.shop.example:{port}",
    "https://cgnat.shop.example/", "https://half.shop.example:{port}", "https://v6.shop.example/",
]


@pytest.mark.parametrize("template", TARGETS)
def test_connect_refuses_an_address_the_app_must_never_call(app, operator, dns, trap, template):
    url = template.format(port=trap.port)
    page = operator.get(f"/operator/{PORTAL_A}/").get_data(as_text=True)
    response = operator.post(f"/operator/{PORTAL_A}/stores", data={
        "csrf_token": csrf_token(page), "code": "b2c", "name": "Shop", "api_url": url, "api_key": "the-key"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "https" in text or "public address" in text or "refused" in text
    assert "could not be reached" not in text  # refused by rule, not by luck
    assert trap.connections == 0 and stored(app) == []


def test_every_request_checks_the_address_it_really_connects_to(app, dns, trap):
    """A store saved while its name pointed elsewhere (DNS rebinding) is refused at connect time, every time."""
    install_portals(app, PORTAL_A)
    with app.app_context(), app.extensions["moulin.db"].session() as session:
        store, _ = connect_store(session, app.extensions["moulin.cipher"], PORTAL_A, "b2c", "Shop",
                                 f"https://localhost:{trap.port}", "the-key")
        client = client_for(store, app.extensions["moulin.cipher"], retries=0)
        for call in (client.ping, lambda: list(client.iter_orders()), lambda: client.get_order("1")):
            with pytest.raises(StoreAddressRefused, match="private, loopback"):
                call()
    assert trap.connections == 0
    assert dns.asked == ["localhost"] * 3  # resolved again for each request, not remembered from the first
