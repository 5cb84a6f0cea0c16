"""Sessions end when they should: at sign-out, after hours, and single-use links and OAuth states stay used."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from hubspot_app.config import Config, ConfigError
from hubspot_app.db.models import Installation
from tests.integration.test_install_flow import INTROSPECT_URL, TOKEN_URL, introspect_body, token_body
from tests.operator_support import PORTAL_A, csrf_token, install_portals, operator_link

pytestmark = pytest.mark.db
HOST = "localhost"  # the test client's server name, where it keeps cookies


@pytest.fixture
def portal(app):
    install_portals(app, PORTAL_A)


def path_of(link: str) -> str:
    return link.removeprefix("https://app.test")


def signed_in_client(app):
    client = app.test_client()
    assert client.get(path_of(operator_link(app, PORTAL_A))).status_code == 302
    return client


def client_with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie("session", value, domain=HOST)
    return client


def test_a_cookie_saved_before_sign_out_opens_nothing_after(app, portal):
    client = signed_in_client(app)
    saved = client.get_cookie("session", domain=HOST).value
    token = csrf_token(client.get(f"/operator/{PORTAL_A}/").get_data(as_text=True))
    assert b"You are signed out." in client.post("/operator/sign-out", data={"csrf_token": token}).data

    replayed = client_with_cookie(app, saved).get(f"/operator/{PORTAL_A}/")
    assert replayed.status_code == 401


def test_a_session_lasts_hours_not_a_month(app, portal, clock):
    client = signed_in_client(app)
    cookie = client.get_cookie("session", domain=HOST).value
    assert client.get(f"/operator/{PORTAL_A}/").status_code == 200

    # The cookie as a browser would still send it nine hours later (Flask alone accepts one for 31 days).
    class NineHoursAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 9 * 3600

    serializer = app.session_interface.get_signing_serializer(app)
    contents = serializer.loads(cookie)
    serializer.signer = NineHoursAgo
    assert client_with_cookie(app, serializer.dumps(contents)).get(f"/operator/{PORTAL_A}/").status_code == 401

    # The same cookie, kept fresh by the browser, after the server's 8 hours have passed.
    clock.advance(8 * 3600 + 1)
    assert client_with_cookie(app, cookie).get(f"/operator/{PORTAL_A}/").status_code == 401


def test_session_lifetime_is_a_setting():
    env = {"SECRET_KEY": "s", "HUBSPOT_CLIENT_ID": "c", "HUBSPOT_CLIENT_SECRET": "x",
           "APP_BASE_URL": "https://app.test", "TOKEN_ENCRYPTION_KEYS": "ab" * 32}
    assert Config.from_env(env).session_lifetime_hours == 8
    assert Config.from_env({**env, "SESSION_LIFETIME_HOURS": "2"}).session_lifetime_hours == 2
    with pytest.raises(ConfigError, match="SESSION_LIFETIME_HOURS"):
        Config.from_env({**env, "SESSION_LIFETIME_HOURS": "0"})


def test_an_operator_link_opens_the_pages_once(app, portal):
    link = path_of(operator_link(app, PORTAL_A))
    first = app.test_client()
    assert first.get(link).status_code == 302
    assert first.get(f"/operator/{PORTAL_A}/").status_code == 200

    second = app.test_client()  # the same link, copied from the first browser's history
    refused = second.get(link)
    assert refused.status_code == 403
    assert b"already been used" in refused.data
    assert second.get(f"/operator/{PORTAL_A}/").status_code == 401


def test_an_oauth_state_replayed_with_its_cookie_is_refused(app, requests_mock):
    requests_mock.post(TOKEN_URL, json=token_body())
    requests_mock.post(INTROSPECT_URL, json=introspect_body())
    browser = app.test_client()
    state = parse_qs(urlsplit(browser.get("/oauth/install").location).query)["state"][0]
    cookie_with_state = browser.get_cookie("session", domain=HOST).value
    assert browser.get(f"/oauth/callback?code=abc&state={state}").status_code == 200

    replay = client_with_cookie(app, cookie_with_state).get(f"/oauth/callback?code=abc&state={state}")
    assert replay.status_code == 400
    assert "already been used" in replay.get_data(as_text=True)
    with app.extensions["moulin.db"].session() as session:
        assert session.scalar(select(func.count()).select_from(Installation)) == 1
