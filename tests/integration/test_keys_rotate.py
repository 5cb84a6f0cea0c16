"""`moulin-hubspot keys rotate` re-encrypts every *_enc column under the new first key."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select

from hubspot_app import create_app
from hubspot_app.cli import main
from hubspot_app.crypto import SecretCipher
from hubspot_app.db.base import Base
from hubspot_app.db.models import Installation, MoulinStore

pytestmark = pytest.mark.db


@pytest.fixture
def old_key_app(make_config):
    old = Fernet.generate_key().decode()
    app = create_app(make_config(token_encryption_keys=(old,)))
    database = app.extensions["moulin.db"]
    Base.metadata.drop_all(database.engine)
    database.create_all()
    cipher = app.extensions["moulin.cipher"]
    with database.session() as session:
        for portal_id in range(1, 4):
            session.add(Installation(portal_id=portal_id, access_token_enc=cipher.encrypt(f"access-{portal_id}"),
                                     refresh_token_enc=cipher.encrypt(f"refresh-{portal_id}")))
        session.add(Installation(portal_id=9))  # never got tokens: NULLs stay NULL
        session.flush()
        session.add(MoulinStore(portal_id=1, code="b2c", name="B", api_url="http://m",
                                api_key_enc=cipher.encrypt("api-key"), push_secret_enc=cipher.encrypt("push")))
    yield app, old
    Base.metadata.drop_all(database.engine)
    database.dispose()


def run(monkeypatch, database_url, keys):
    for name, value in {"SECRET_KEY": "s", "HUBSPOT_CLIENT_ID": "c", "HUBSPOT_CLIENT_SECRET": "x",
                        "APP_BASE_URL": "https://app.test", "DATABASE_URL": database_url,
                        "TOKEN_ENCRYPTION_KEYS": ",".join(keys), "QUEUE_IMMEDIATE": "1"}.items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(main, ["keys", "rotate"])


def test_rotate_then_drop_the_old_key(old_key_app, monkeypatch, database_url):
    app, old = old_key_app
    new = Fernet.generate_key().decode()
    result = run(monkeypatch, database_url, [new, old])
    assert result.exit_code == 0, result.output
    assert "installations.access_token_enc: 3 re-encrypted" in result.output
    assert "moulin_stores.push_secret_enc: 1 re-encrypted" in result.output
    only_new = SecretCipher([new])
    with app.extensions["moulin.db"].session() as session:
        installs = session.scalars(select(Installation).order_by(Installation.portal_id)).all()
        store = session.scalar(select(MoulinStore))
    assert [only_new.decrypt(i.refresh_token_enc) for i in installs[:3]] == ["refresh-1", "refresh-2", "refresh-3"]
    assert installs[3].access_token_enc is None
    assert (only_new.decrypt(store.api_key_enc), only_new.decrypt(store.push_secret_enc)) == ("api-key", "push")
    with pytest.raises(ValueError):
        SecretCipher([old]).decrypt(store.api_key_enc)
    # Idempotent: a second run (e.g. after a crash) re-encrypts under the same key and still decrypts.
    assert run(monkeypatch, database_url, [new]).exit_code == 0


def test_missing_old_key_stops_with_a_clear_message(old_key_app, monkeypatch, database_url):
    result = run(monkeypatch, database_url, [Fernet.generate_key().decode()])
    assert result.exit_code != 0
    assert "missing from TOKEN_ENCRYPTION_KEYS" in result.output
