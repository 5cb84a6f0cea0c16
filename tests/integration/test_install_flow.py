"""The OAuth install flow against HubSpot's contract, with HubSpot played by requests-mock."""
from __future__ import annotations

import logging
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from hubspot_app.config import REQUIRED_SCOPES
from hubspot_app.db.models import Installation, MoulinStore
from hubspot_app.install.service import uninstall
from hubspot_app.bootstrap import installed_tokens
from hubspot_app.hubspot.oauth import TokenSet
from hubspot_app.install.tokens import InstallationInactive, mark_uninstalled, store_tokens

pytestmark = pytest.mark.db
# Paths alone: requests-mock answers them on any host, here the test config's HubSpot (see tests/conftest.py).
TOKEN_URL = "/oauth/2026-03/token"
INTROSPECT_URL = "/oauth/2026-03/token/introspect"
REVOKE_URL = "/oauth/2026-03/token/revoke"
UNINSTALL_URL = "/appinstalls/2026-03/external-install"
ACCESS, REFRESH = "CJSP5qf1KhICAQEYs-gDIIGOBii1", "6f18f21e-a743-4509-b7fd-1a5e632fffa1"


def token_body(access=ACCESS, refresh=REFRESH, expires_in=1800):
    return {"token_type": "bearer", "access_token": access, "refresh_token": refresh, "expires_in": expires_in,
            "hub_id": 62515, "scopes": list(REQUIRED_SCOPES)}


def introspect_body(scopes=REQUIRED_SCOPES):
    return {"active": True, "hub_id": 62515, "user_id": 123, "user": "lea@moulin.fr", "app_id": 4242,
            "hub_domain": "moulin.hubspot.com", "scopes": list(scopes), "expires_in": 1799, "token_use": "access_token"}


def start_install(client) -> str:
    response = client.get("/oauth/install")
    assert response.status_code == 302
    return parse_qs(urlsplit(response.location).query)["state"][0]


def installations(app):
    with app.extensions["moulin.db"].session() as session:
        return session.scalars(select(Installation)).all()


def test_install_redirects_to_hubspot_with_scopes_and_state(app, client):
    response = client.get("/oauth/install")
    url = urlsplit(response.location)
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{app.extensions['moulin.config'].hubspot_auth_base}/oauth/authorize"
    assert query["client_id"] == ["test-client-id"]
    assert query["redirect_uri"] == ["https://app.test/oauth/callback"]
    assert set(query["scope"][0].split(" ")) == set(REQUIRED_SCOPES)
    assert len(query["state"][0]) >= 32


def test_callback_stores_encrypted_tokens_and_shows_next_step(app, client, requests_mock, database_url, caplog):
    requests_mock.post(TOKEN_URL, json=token_body())
    requests_mock.post(INTROSPECT_URL, json=introspect_body())
    state = start_install(client)
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/oauth/callback?code=abc&state={state}")
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert "install.completed" in logged
    assert ACCESS not in logged and REFRESH not in logged and "test-client-secret" not in logged
    assert response.status_code == 200
    assert "moulin.hubspot.com" in response.text and "Connect a Moulin store" in response.text
    form = parse_qs(requests_mock.request_history[0].text)
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["abc"]
    assert form["client_secret"] == ["test-client-secret"]  # client_secret_post, as HubSpot expects
    [installation] = installations(app)
    assert installation.portal_id == 62515 and installation.installed_by_email == "lea@moulin.fr"
    assert ACCESS not in installation.access_token_enc and REFRESH not in installation.refresh_token_enc
    cipher = app.extensions["moulin.cipher"]
    assert cipher.decrypt(installation.refresh_token_enc) == REFRESH
    if database_url.startswith("sqlite"):
        raw = open(database_url.removeprefix("sqlite:///"), "rb").read()
        assert ACCESS.encode() not in raw and REFRESH.encode() not in raw


@pytest.mark.parametrize(
    "query,needle",
    [
        ("code=abc&state=forged", "security check"),
        ("code=abc", "security check"),
        ("error=access_denied&state={state}", "cancelled"),
        ("state={state}", "did not send an authorization code"),
    ],
)
def test_bad_callbacks_store_nothing(app, client, requests_mock, caplog, query, needle):
    state = start_install(client)
    with caplog.at_level(logging.WARNING):
        response = client.get("/oauth/callback?" + query.format(state=state))
    assert response.status_code == 400 and needle in response.text
    assert installations(app) == []
    assert not requests_mock.called
    assert any(getattr(r, "event", None) == "install.refused" for r in caplog.records)


def test_reused_code_is_refused_with_a_clear_page(app, client, requests_mock):
    requests_mock.post(TOKEN_URL, status_code=400, json={
        "error": "invalid_grant", "error_description": "code has already been used", "status": "BAD_AUTH_CODE"})
    state = start_install(client)
    response = client.get(f"/oauth/callback?code=used&state={state}")
    assert response.status_code == 400 and "already used" in response.text
    assert installations(app) == []


def test_state_is_single_use(client, requests_mock):
    requests_mock.post(TOKEN_URL, json=token_body())
    requests_mock.post(INTROSPECT_URL, json=introspect_body())
    state = start_install(client)
    assert client.get(f"/oauth/callback?code=abc&state={state}").status_code == 200
    assert client.get(f"/oauth/callback?code=abc&state={state}").status_code == 400


def test_missing_required_scopes_stores_nothing_and_revokes(app, client, requests_mock):
    requests_mock.post(TOKEN_URL, json=token_body())
    requests_mock.post(INTROSPECT_URL, json=introspect_body(scopes=["oauth", "crm.objects.contacts.read"]))
    revoke = requests_mock.post(REVOKE_URL, status_code=200, text="")
    state = start_install(client)
    response = client.get(f"/oauth/callback?code=abc&state={state}")
    assert response.status_code == 400 and "crm.objects.deals.write" in response.text
    assert installations(app) == []
    assert revoke.called and parse_qs(revoke.last_request.text)["token"] == [REFRESH]


def install_directly(app, clock, expires_in=1800):
    with app.extensions["moulin.db"].session() as session:
        installation = Installation(portal_id=62515, scopes=" ".join(REQUIRED_SCOPES))
        store_tokens(installation, TokenSet(ACCESS, REFRESH, expires_in), app.extensions["moulin.cipher"], clock())
        session.add(installation)


def tokens(app):
    with app.app_context():
        from hubspot_app import extensions

        return extensions.tokens()


def test_a_gateway_reuses_a_token_for_a_second_then_reads_the_install_area_again(app, clock):
    install_directly(app, clock)
    now = [1000.0]
    access_token = installed_tokens(app, monotonic=lambda: now[0])
    assert access_token(62515) == ACCESS
    with app.extensions["moulin.db"].session() as session:  # another process refreshed the token meanwhile
        [installation] = session.scalars(select(Installation)).all()
        store_tokens(installation, TokenSet("NEW-ACCESS", REFRESH, 1800), app.extensions["moulin.cipher"], clock())
    now[0] += 0.9
    assert access_token(62515) == ACCESS  # still valid for minutes: not read again
    now[0] += 0.2
    assert access_token(62515) == "NEW-ACCESS"
    with app.extensions["moulin.db"].session() as session:
        [installation] = session.scalars(select(Installation)).all()
        mark_uninstalled(installation, "uninstalled in HubSpot", clock())
    now[0] += 1.0
    with pytest.raises(InstallationInactive):  # an uninstall stops the calls within a second
        access_token(62515)


def test_token_is_refreshed_before_expiry_not_after(app, clock, requests_mock):
    install_directly(app, clock)
    refresh = requests_mock.post(TOKEN_URL, json=token_body(access="NEW-ACCESS"))
    service = tokens(app)
    assert service.access_token(62515) == ACCESS
    clock.advance(24 * 60)
    assert service.access_token(62515) == ACCESS and not refresh.called
    clock.advance(2 * 60)  # 26 min: inside the 5-minute margin
    assert service.access_token(62515) == "NEW-ACCESS"
    assert parse_qs(refresh.last_request.text)["grant_type"] == ["refresh_token"]
    assert service.access_token(62515) == "NEW-ACCESS" and refresh.call_count == 1


@pytest.mark.parametrize("status", ["BAD_REFRESH_TOKEN", "BAD_HUB"])
def test_refused_refresh_marks_uninstalled_and_stops_calls(app, clock, requests_mock, status):
    install_directly(app, clock)
    refresh = requests_mock.post(TOKEN_URL, status_code=400,
                                 json={"error": "invalid_grant", "error_description": "gone", "status": status})
    clock.advance(29 * 60)
    service = tokens(app)
    with pytest.raises(InstallationInactive):
        service.access_token(62515)
    with pytest.raises(InstallationInactive):
        service.access_token(62515)
    assert refresh.call_count == 1
    [installation] = installations(app)
    assert installation.status == "uninstalled" and installation.refresh_token_enc is None


def test_transient_refresh_failure_keeps_installation(app, clock, requests_mock):
    install_directly(app, clock)
    requests_mock.post(TOKEN_URL, [{"status_code": 503, "text": "busy"}, {"json": token_body(access="LATER")}])
    clock.advance(29 * 60)
    service = tokens(app)
    with pytest.raises(Exception, match="503"):
        service.access_token(62515)
    assert installations(app)[0].status == "active"
    assert service.access_token(62515) == "LATER"


def test_concurrent_refresh_spends_the_refresh_token_once(app, clock, requests_mock):
    install_directly(app, clock)

    def slow_refresh(request, context):
        time.sleep(0.3)
        return token_body(access="ONCE")

    refresh = requests_mock.post(TOKEN_URL, json=slow_refresh)
    clock.advance(29 * 60)
    results, errors = [], []

    def worker():
        try:
            results.append(tokens(app).access_token(62515))
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == [] and results == ["ONCE"] * 4
    assert refresh.call_count == 1


def test_uninstall_removes_app_revokes_and_purges(app, clock, requests_mock):
    install_directly(app, clock)
    with app.extensions["moulin.db"].session() as session:
        session.add(MoulinStore(portal_id=62515, code="b2c", name="Boutique", api_url="https://bo.example",
                                api_key_enc="x", push_secret_enc="y"))
    delete = requests_mock.delete(UNINSTALL_URL, status_code=204)
    revoke = requests_mock.post(REVOKE_URL, status_code=200, text="")
    with app.app_context():
        from hubspot_app import extensions as ext

        result = uninstall(ext.db(), ext.cipher(), ext.oauth(), ext.clock(), 62515, purge=True)
    assert delete.last_request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert revoke.called
    assert result.removed_from_hubspot and result.purged_rows == 2
    assert installations(app) == []


def test_uninstall_keeping_data_marks_installation(app, clock, requests_mock):
    install_directly(app, clock)
    requests_mock.delete(UNINSTALL_URL, status_code=204)
    requests_mock.post(REVOKE_URL, status_code=200, text="")
    with app.app_context():
        from hubspot_app import extensions as ext

        uninstall(ext.db(), ext.cipher(), ext.oauth(), ext.clock(), 62515, purge=False)
    [installation] = installations(app)
    assert installation.status == "uninstalled" and installation.access_token_enc is None
    with pytest.raises(InstallationInactive):
        tokens(app).access_token(62515)
