import pytest

from hubspot_app.db.models import Installation
from hubspot_app.moulin.stores import StoreSettingsError, client_for, connect_store, list_stores
from sandbox.moulin import start_sample_store


@pytest.fixture
def session(app):
    with app.app_context(), app.extensions["moulin.db"].session() as session:
        session.add_all([Installation(portal_id=1), Installation(portal_id=2)])
        session.flush()
        yield session


@pytest.mark.db
def test_connect_store_keeps_secrets_encrypted_and_returns_the_push_secret_once(app, session):
    cipher = app.extensions["moulin.cipher"]
    store, push_secret = connect_store(session, cipher, 1, "B2C", "Boutique", "http://moulin.test/api/", " key-1 ",
                                       order_url_template="https://bo.test/orders/{order_id}")
    assert store.id and store.code == "b2c" and store.api_url == "http://moulin.test/api"
    assert len(push_secret) >= 40
    assert "key-1" not in store.api_key_enc and push_secret not in store.push_secret_enc
    assert cipher.decrypt(store.api_key_enc) == "key-1" and cipher.decrypt(store.push_secret_enc) == push_secret
    _, other_secret = connect_store(session, cipher, 1, "b2b", "Pro", "http://moulin.test", "key-2")
    assert other_secret != push_secret


@pytest.mark.db
def test_several_stores_per_portal_listed_by_code_and_isolated(app, session):
    cipher = app.extensions["moulin.cipher"]
    for portal, code in ((1, "pro"), (1, "boutique"), (2, "boutique")):
        connect_store(session, cipher, portal, code, code.title(), "http://moulin.test", "k")
    assert [s.code for s in list_stores(session, 1)] == ["boutique", "pro"]
    assert [(s.portal_id, s.code) for s in list_stores(session, 2)] == [(2, "boutique")]


@pytest.mark.db
@pytest.mark.parametrize("changes, field", [
    ({"code": "Bad Code!"}, "code"), ({"api_url": "ftp://x"}, "api_url"), ({"api_key": " "}, "api_key"),
    ({"order_url_template": "https://bo/orders"}, "order_url_template"), ({"code": "b2c"}, "code"),
])
def test_unusable_settings_are_refused_naming_the_field(app, session, changes, field):
    cipher = app.extensions["moulin.cipher"]
    connect_store(session, cipher, 1, "b2c", "Boutique", "http://moulin.test", "k")
    values = dict(code="other", name="Autre", api_url="http://moulin.test", api_key="k", order_url_template=None)
    values.update(changes)
    with pytest.raises(StoreSettingsError, match=f"^{field}:"):
        connect_store(session, cipher, 1, **values)


@pytest.mark.db
def test_client_for_talks_to_the_store_with_its_decrypted_key(app, session):
    sample, server = start_sample_store(orders=5, seed=1, api_key="s3cret", store_code="pro")
    try:
        store, _ = connect_store(session, app.extensions["moulin.cipher"], 1, "pro", "Pro", server.url, "s3cret")
        assert client_for(store, app.extensions["moulin.cipher"]).ping()["store"] == "pro"
    finally:
        server.stop()
