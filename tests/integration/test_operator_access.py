"""Who reaches the operator pages: signed links, the post-install session, portal isolation, CSRF."""
from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from hubspot_app.operator import auth
from tests.operator_support import PORTAL_A, PORTAL_B, csrf_token, install_portals, operator_link

pytestmark = pytest.mark.db


@pytest.fixture
def portals(app):
    install_portals(app, PORTAL_A, PORTAL_B)


def enter(client, app, portal_id):
    link = operator_link(app, portal_id)
    assert link.startswith("https://app.test/operator/enter?token=")
    return client.get(link.removeprefix("https://app.test"))


def test_link_signs_in_to_its_portal_only(app, client, portals):
    response = enter(client, app, PORTAL_A)
    assert response.status_code == 302
    assert response.location == f"/operator/{PORTAL_A}/"
    assert client.get(f"/operator/{PORTAL_A}/").status_code == 200
    refused = client.get(f"/operator/{PORTAL_B}/health")
    assert refused.status_code == 403
    assert b"another HubSpot account" in refused.data


def test_no_session_is_refused(client, portals):
    for path in (f"/operator/{PORTAL_A}/", f"/operator/{PORTAL_A}/settings", f"/operator/{PORTAL_A}/health",
                 f"/operator/{PORTAL_A}/stores/1/progress"):
        assert client.get(path).status_code == 401, path


def test_tampered_and_expired_links_are_refused(app, client, portals):
    token = operator_link(app, PORTAL_A).split("token=")[1]
    assert client.get(f"/operator/enter?token={token[:-2]}xx").status_code == 403

    class SixteenMinutesAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 16 * 60

    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="moulin.operator-link",
                                 signer=SixteenMinutesAgo).dumps({"p": PORTAL_A, "e": None})
    response = client.get(f"/operator/enter?token={old}")
    assert response.status_code == 403
    assert b"expired" in response.data
    assert client.get(f"/operator/{PORTAL_A}/").status_code == 401


def test_link_for_an_uninstalled_portal_is_refused(app, client):
    install_portals(app, 303)
    with app.extensions["moulin.db"].session() as session:
        from hubspot_app.db.models import Installation
        session.query(Installation).filter_by(portal_id=303).update({"status": "uninstalled"})
    assert enter(client, app, 303).status_code == 403


def test_sign_in_after_install_replaces_the_previous_portal(app, client, portals):
    @app.get("/_test/after-callback/<int:portal_id>")
    def after_callback(portal_id):  # what the OAuth callback does once the install is stored
        auth.sign_in_operator(portal_id, "installer@shop.example")
        return "ok"

    enter(client, app, PORTAL_A)
    assert client.get(f"/_test/after-callback/{PORTAL_B}").status_code == 200
    assert client.get(f"/operator/{PORTAL_B}/").status_code == 200
    assert client.get(f"/operator/{PORTAL_A}/").status_code == 403


def test_forms_without_a_csrf_token_are_refused(app, client, portals):
    enter(client, app, PORTAL_A)
    refused = client.post(f"/operator/{PORTAL_A}/stores", data={"code": "b2c", "name": "B", "api_url": "http://x",
                                                                 "api_key": "k"})
    assert refused.status_code == 400
    assert b"expired or was not sent from our page" in refused.data
    forged = client.post(f"/operator/{PORTAL_A}/uninstall", data={"confirm": "uninstall", "csrf_token": "forged"})
    assert forged.status_code == 400


def test_a_valid_token_from_portal_a_does_not_open_portal_b(app, client, portals):
    enter(client, app, PORTAL_A)
    token = csrf_token(client.get(f"/operator/{PORTAL_A}/settings").get_data(as_text=True))
    response = client.post(f"/operator/{PORTAL_B}/uninstall", data={"confirm": "uninstall", "csrf_token": token})
    assert response.status_code == 403


def test_machine_endpoints_do_not_need_csrf(client, portals):
    # CSRF is scoped to the operator pages: the Moulin push endpoint answers on its own terms (signature).
    response = client.post("/moulin/push/999", data=b"{}", content_type="application/json")
    assert response.is_json, response.data
    assert "csrf" not in response.get_data(as_text=True).lower()


def test_uninstalled_portal_closes_its_pages(app, client, portals):
    enter(client, app, PORTAL_A)
    with app.extensions["moulin.db"].session() as session:
        from hubspot_app.db.models import Installation
        session.query(Installation).filter_by(portal_id=PORTAL_A).update({"status": "uninstalled"})
    response = client.get(f"/operator/{PORTAL_A}/")
    assert response.status_code == 404
    assert b"not installed" in response.data


def test_sign_out_closes_the_pages(app, client, portals):
    enter(client, app, PORTAL_A)
    token = csrf_token(client.get(f"/operator/{PORTAL_A}/").get_data(as_text=True))
    assert b"You are signed out." in client.post("/operator/sign-out", data={"csrf_token": token}).data
    assert client.get(f"/operator/{PORTAL_A}/").status_code == 401
