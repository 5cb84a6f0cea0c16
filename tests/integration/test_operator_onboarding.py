"""Onboarding and settings through the app, against the sample Moulin store over loopback HTTP."""
from __future__ import annotations

import time

import pytest
import requests_mock
from sqlalchemy import select

from hubspot_app.db.models import Installation, MoulinStore, SyncCheckpoint
from sandbox.moulin import sign, start_sample_store
from hubspot_app.domain.store_settings import StoreSettings
from tests.operator_support import PORTAL_A, PORTAL_B, csrf_token, install_portals, operator_link

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def moulin():  # read-only here (ping), so one per module
    store, server = start_sample_store(orders=5, api_key="right-key", store_code="b2c", name="Boutique Moulin")
    yield server.url
    server.stop()


@pytest.fixture
def operator(app, client):
    install_portals(app, PORTAL_A, PORTAL_B)
    client.get(operator_link(app, PORTAL_A).removeprefix("https://app.test"))
    return client


def token(client, path=f"/operator/{PORTAL_A}/"):
    return csrf_token(client.get(path).get_data(as_text=True))


def connect(client, moulin_url, api_key="right-key", code="b2c"):
    return client.post(f"/operator/{PORTAL_A}/stores", data={
        "csrf_token": token(client), "code": code, "name": "Boutique", "api_url": moulin_url, "api_key": api_key})


def stores(app):
    with app.extensions["moulin.db"].session() as session:
        return list(session.scalars(select(MoulinStore).order_by(MoulinStore.id)))


def test_connect_checks_the_key_first_and_stores_nothing_when_refused(app, operator, moulin):
    response = connect(operator, moulin, api_key="wrong-key")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Moulin refused the API key" in page
    assert 'value="b2c"' in page and "wrong-key" not in page  # the form comes back, the key does not
    assert stores(app) == []


def test_unreachable_store_is_explained(app, operator):
    response = connect(operator, "http://127.0.0.1:9")
    assert response.status_code == 422
    assert "could not be reached" in response.get_data(as_text=True)


def test_connect_shows_the_push_secret_once_and_keeps_it_encrypted(app, operator, moulin):
    response = connect(operator, moulin)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    [store] = stores(app)
    secret = app.extensions["moulin.cipher"].decrypt(store.push_secret_enc)
    assert secret in page
    assert f"https://app.test/moulin/push/{store.id}" in page
    assert store.portal_id == PORTAL_A and store.code == "b2c"
    assert "right-key" not in store.api_key_enc and secret not in store.push_secret_enc
    assert store.settings == StoreSettings().to_row()  # every default, written down
    for path in (f"/operator/{PORTAL_A}/", f"/operator/{PORTAL_A}/settings",
                 f"/operator/{PORTAL_A}/stores/{store.id}/settings"):
        assert secret not in operator.get(path).get_data(as_text=True), path


def test_duplicate_code_is_refused_with_its_reason(app, operator, moulin):
    connect(operator, moulin)
    response = connect(operator, moulin)
    assert response.status_code == 422
    assert "already has a store" in response.get_data(as_text=True)
    assert len(stores(app)) == 1


def test_test_connection_reports_in_words(app, operator, moulin):
    connect(operator, moulin)
    [store] = stores(app)
    response = operator.post(f"/operator/{PORTAL_A}/stores/{store.id}/test", data={"csrf_token": token(operator)},
                             follow_redirects=True)
    assert "Connected: Moulin answered and accepted the API key." in response.get_data(as_text=True)


def test_settings_save_mapping_and_behaviours(app, operator, moulin):
    connect(operator, moulin)
    [store] = stores(app)
    path = f"/operator/{PORTAL_A}/stores/{store.id}/settings"
    page = operator.get(path).get_data(as_text=True)
    assert '<option value="processed" selected>Processed (default)</option>' in page  # "paid" defaults
    response = operator.post(path, data={
        "csrf_token": csrf_token(page), "stage.paid": "checkout_completed", "stage.shipped": "shipped",
        "recreate_deleted_deals": "on", "stage_source": "hubspot",
        "order_url_template": "https://bo.example/orders/{order_id}"}, follow_redirects=True)
    assert "Settings saved." in response.get_data(as_text=True)
    [store] = stores(app)
    assert store.stage_mapping == {"paid": "checkout_completed"}  # only what differs from the defaults
    assert StoreSettings.of(store.settings) == StoreSettings(recreate_deleted_deals=True, stage_source="hubspot")
    assert store.order_url_template == "https://bo.example/orders/{order_id}"


def test_settings_refuse_unknown_values_and_change_nothing(app, operator, moulin):
    connect(operator, moulin)
    [store] = stores(app)
    path = f"/operator/{PORTAL_A}/stores/{store.id}/settings"
    response = operator.post(path, data={"csrf_token": token(operator, path), "stage.paid": "teleported",
                                         "stage_source": "moulin"})
    assert response.status_code == 422
    assert "unknown stage &#39;teleported&#39;" in response.get_data(as_text=True)
    assert stores(app)[0].stage_mapping == {}


def test_another_portals_store_is_not_found(app, client, moulin):
    install_portals(app, PORTAL_A, PORTAL_B)
    client.get(operator_link(app, PORTAL_B).removeprefix("https://app.test"))
    connect_b = client.post(f"/operator/{PORTAL_B}/stores", data={
        "csrf_token": token(client, f"/operator/{PORTAL_B}/"), "code": "b2b", "name": "B", "api_url": moulin,
        "api_key": "right-key"})
    assert connect_b.status_code == 200
    [store_b] = stores(app)
    client.get(operator_link(app, PORTAL_A).removeprefix("https://app.test"))
    assert client.get(f"/operator/{PORTAL_A}/stores/{store_b.id}/settings").status_code == 404
    assert client.get(f"/operator/{PORTAL_A}/stores/{store_b.id}/progress").status_code == 404


def test_backfill_is_enqueued_by_name_and_progress_follows_the_checkpoint(app, operator, moulin):
    started = []
    # Stands in for the engine's job (its own tests cover it): records what the page enqueued.
    app.extensions["moulin.jobs"].register(lambda portal_id, store_code: started.append((portal_id, store_code)),
                                           name="sync.backfill")
    connect(operator, moulin)
    [store] = stores(app)
    progress_path = f"/operator/{PORTAL_A}/stores/{store.id}/progress"
    assert operator.get(progress_path).get_json()["state"] == "not_started"
    response = operator.post(f"/operator/{PORTAL_A}/stores/{store.id}/backfill", data={"csrf_token": token(operator)})
    assert response.status_code == 302
    assert started == [(PORTAL_A, "b2c")]
    with app.extensions["moulin.db"].session() as session:
        session.add(SyncCheckpoint(portal_id=PORTAL_A, store_code="b2c", mode="backfill", position=40, done=False))
    body = operator.get(progress_path).get_json()
    # The stand-in took no lease: the job waits for a worker, it is not "running".
    assert (body["state"], body["orders_imported"], body["store_code"]) == ("queued", 40, "b2c")


@pytest.mark.parametrize("choice, kept", [("keep", True), ("purge", False)])
def test_uninstall_needs_confirmation_then_keeps_or_purges(app, operator, moulin, choice, kept):
    connect(operator, moulin)
    settings = f"/operator/{PORTAL_A}/settings"
    unconfirmed = operator.post(f"/operator/{PORTAL_A}/uninstall", data={"csrf_token": token(operator, settings),
                                                                         "data": choice}, follow_redirects=True)
    assert "type the word uninstall in the confirmation box" in unconfirmed.get_data(as_text=True)
    assert len(stores(app)) == 1
    csrf = token(operator, settings)
    with requests_mock.Mocker() as hubspot:
        removed = hubspot.delete("/appinstalls/2026-03/external-install", status_code=204)
        revoked = hubspot.post("/oauth/2026-03/token/revoke", status_code=200, text="")
        response = operator.post(f"/operator/{PORTAL_A}/uninstall", data={
            "csrf_token": csrf, "data": choice, "confirm": "uninstall"})
    assert response.status_code == 200
    assert removed.last_request.headers["Authorization"] == f"Bearer access-{PORTAL_A}"
    assert f"token=refresh-{PORTAL_A}" in revoked.last_request.text
    assert "App uninstalled" in response.get_data(as_text=True)
    with app.extensions["moulin.db"].session() as session:
        installation = session.scalar(select(Installation).where(Installation.portal_id == PORTAL_A))
        assert (installation is not None) == kept
        if kept:
            assert installation.status != "active"
    assert (len(stores(app)) == 1) == kept
    assert operator.get(f"/operator/{PORTAL_A}/").status_code == 401  # signed out


def test_a_new_push_secret_replaces_the_old_one(app, operator, moulin):
    first = connect(operator, moulin).get_data(as_text=True)
    [store] = stores(app)
    cipher = app.extensions["moulin.cipher"]
    old = cipher.decrypt(store.push_secret_enc)
    assert old in first
    path = f"/operator/{PORTAL_A}/stores/{store.id}/settings"
    response = operator.post(f"/operator/{PORTAL_A}/stores/{store.id}/push-secret",
                             data={"csrf_token": token(operator, path)})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    new = cipher.decrypt(stores(app)[0].push_secret_enc)
    assert new != old
    assert new in response.get_data(as_text=True) and old not in response.get_data(as_text=True)
    assert "The previous secret no longer works" in response.get_data(as_text=True)
    body = b'{"id": "evt_1", "type": "order.updated", "occurred_at": "2026-01-01T00:00:00+00:00", "data": {"id": "o1"}}'

    def push(secret):
        return operator.post(f"/moulin/push/{store.id}", data=body, content_type="application/json",
                             headers={"X-Moulin-Signature": sign(secret, body, int(time.time()))})

    assert push(old).status_code == 401
    assert push(new).status_code == 202
