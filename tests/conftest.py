"""Shared fixtures.

The database is SQLite in a temporary folder by default. With
TEST_POSTGRES_URL set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test),
tests marked `db` run against a throw-away PostgreSQL database created for
this test session, so parallel runs never share state.
"""
from __future__ import annotations

import os
import uuid

import pytest
from cryptography.fernet import Fernet
from hypothesis import settings
from sqlalchemy import create_engine, text

from hubspot_app import create_app
from hubspot_app.clock import MovableClock
from hubspot_app.config import Config

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "").strip()

# Property tests (tests/integration/sync_flows/test_rules_of_truth.py): `make test` runs a fixed, bounded set;
# `pytest --hypothesis-profile long` explores many more sequences (docs/sync.md). Registered here, before the
# Hypothesis plugin reads the option.
settings.register_profile("bounded", max_examples=6, derandomize=True, deadline=None, database=None)
settings.register_profile("long", max_examples=300, deadline=None)
settings.load_profile("bounded")


@pytest.fixture(scope="session")
def postgres_database():
    """A fresh PostgreSQL database for this session, dropped at the end; None when not asked for."""
    if not POSTGRES_URL:
        yield None
        return
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(tmp_path, postgres_database):
    if postgres_database is None:
        return f"sqlite:///{tmp_path / 'app.sqlite3'}"
    # One database per session; each test gets a clean schema by dropping all tables below.
    return postgres_database


@pytest.fixture(scope="session")
def default_hubspot():
    """Where the test config sends HubSpot calls unless a test starts its own sandbox: a HubSpot sandbox on
    loopback that has issued no token, so a call no test set up (e.g. the set-up job an install enqueues) is
    refused at once with HubSpot's 401, instead of resolving or retrying the real api.hubapi.com."""
    from sandbox.hubspot import start_sandbox

    _state, server = start_sandbox()
    yield server.url
    server.stop()


@pytest.fixture
def make_config(database_url, tmp_path, default_hubspot):
    def build(**overrides) -> Config:
        values = dict(
            secret_key="test-secret-key",
            hubspot_client_id="test-client-id",
            hubspot_client_secret="test-client-secret",
            hubspot_app_id=4242,
            app_base_url="https://app.test",
            hubspot_api_base=default_hubspot,
            hubspot_auth_base=default_hubspot,
            token_encryption_keys=(Fernet.generate_key().decode(),),
            database_url=database_url,
            queue_immediate=True,
            queue_path=str(tmp_path / "queue.sqlite3"),
            testing=True,
            allow_private_store_urls=True,  # sample stores serve on loopback http; tests/security turn it off
        )
        values.update(overrides)
        return Config(**values)

    return build


@pytest.fixture
def clock():
    """The app's clock; tests move it with `clock.advance(seconds)`."""
    return MovableClock()


@pytest.fixture
def app(make_config, clock):
    app = create_app(make_config(), clock=clock)
    database = app.extensions["moulin.db"]
    from hubspot_app.db.base import Base

    Base.metadata.drop_all(database.engine)
    database.create_all()
    yield app
    Base.metadata.drop_all(database.engine)
    database.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
