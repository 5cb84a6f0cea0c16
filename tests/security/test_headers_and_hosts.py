"""Findings: the Host header was trusted in redirects (`Host: evil.example` -> `Location: http://evil.example/`),
pages had no CSP, frame, nosniff, referrer or HSTS headers, and /metrics (portal ids) was open by default.
"""
from __future__ import annotations

import pytest

from hubspot_app import create_app
from tests.operator_support import install_portals, operator_link

pytestmark = pytest.mark.db


@pytest.mark.parametrize("path", ["/operator/101", "/oauth/install", "/operator/enter?token=x", "/card/orders/"])
def test_host_header_never_reaches_a_location(app, client, path):
    install_portals(app, 101)
    for headers in ({"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}):
        response = client.get(path, headers=headers)
        assert "evil.example" not in response.headers.get("Location", "")
        assert b"evil.example" not in response.data


def test_slash_redirect_uses_app_base_url(client):
    response = client.get("/operator/101", headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"] in ("https://app.test/operator/101/", "/operator/101/")


def test_operator_link_redirect_stays_on_the_public_origin(app, client):
    install_portals(app, 101)
    response = client.get(operator_link(app, 101).removeprefix("https://app.test"), headers={"Host": "evil.example"})
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]


def test_pages_carry_the_security_headers(app, client):
    install_portals(app, 101)
    client.get(operator_link(app, 101).removeprefix("https://app.test"))
    response = client.get("/operator/101/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    # The page's own inline style and script carry this response's nonce, so the browser runs them.
    assert f'nonce="{nonce}"'.encode() in response.data
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_machine_answers_carry_them_too(client):
    response = client.post("/webhooks/hubspot", data=b"[]")
    assert response.status_code == 401
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_hsts_when_the_public_url_is_http(make_config):
    app = create_app(make_config(app_base_url="http://127.0.0.1:5000"))
    response = app.test_client().get("/oauth/install")
    assert "Strict-Transport-Security" not in response.headers
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("settings,headers,status", [
    ({}, {}, 404),  # closed by default: it names portal ids
    ({}, {"Authorization": "Bearer anything"}, 404),
    ({"metrics_token": "scrape"}, {}, 401),
    ({"metrics_token": "scrape"}, {"Authorization": "Bearer scrape"}, 200),
    ({"metrics_private_listener": True}, {}, 200),
])
def test_metrics_is_closed_unless_a_token_or_a_private_listener_is_configured(make_config, settings, headers,
                                                                               status):
    app = create_app(make_config(**settings))
    app.extensions["moulin.db"].create_all()
    try:
        assert app.test_client().get("/metrics", headers=headers).status_code == status
    finally:
        app.extensions["moulin.db"].dispose()
