"""Sync against both sandboxes over loopback HTTP: the HubSpot sandbox and sample Moulin stores."""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

import pytest

from hubspot_app import create_app
from hubspot_app.db.base import Base
from hubspot_app.db.models import Installation
from hubspot_app.moulin.stores import connect_store
from hubspot_app import bootstrap
from hubspot_app.db.repository import open_errors
from sandbox.hubspot import start_sandbox
from sandbox.hubspot.testing import running_sandbox
from sandbox.moulin import start_sample_store
from tests.webhook_support import APP_ID
from tests.webhook_support_http import app_on_loopback


@pytest.fixture
def hubspot():
    state, server = start_sandbox()
    yield state, server
    server.stop()


@pytest.fixture
def stores():
    running = []

    def start(**kw):
        store, server = start_sample_store(**kw)
        running.append(server)
        return store, server

    yield start
    for server in running:
        server.stop()


class World:
    """One portal installed against the sandbox, with helpers to read HubSpot's side back."""

    def __init__(self, app, state, portal_id):
        self.app, self.state, self.portal_id = app, state, portal_id

    def connect(self, store, server) -> tuple[int, str]:
        """Connect a sample store to the portal; returns (store row id, push secret)."""
        with self.app.app_context(), self.app.extensions["moulin.db"].session() as session:
            row, secret = connect_store(session, self.app.extensions["moulin.cipher"], self.portal_id,
                                        store.store_code, store.name, server.url, store.api_key)
            return row.id, secret

    def objects(self, object_type):
        """Live (not archived) records of a type, as {"id", "properties"}."""
        return [{"id": r.id, "properties": dict(r.properties)}
                for r in self.state.objects(self.portal_id, object_type).values() if not r.archived]

    def associations(self, from_type, from_id, to_type):
        return sorted(self.state.portal(self.portal_id).associations.targets(from_type, from_id, to_type))

    def deals_by_key(self):
        deals = self.objects("deals")
        keys = Counter(d["properties"].get("moulin_order_key") for d in deals)
        duplicates = {k: n for k, n in keys.items() if n > 1}
        assert not duplicates, f"duplicate deals: {duplicates}"
        return {d["properties"]["moulin_order_key"]: d for d in deals}

    def open_errors(self) -> list[str]:
        with self.app.app_context(), self.app.extensions["moulin.db"].session() as session:
            return [f"{e.kind} {e.source_key}: {e.message}" for e in open_errors(session, self.portal_id)]

    def run(self, fn, *args, **kw):
        with self.app.app_context():
            return fn(*args, **kw)


def _sandbox_app(config, clock=None):
    """The app on a fresh database, talking to the HubSpot sandbox with the tokens `install` issues."""
    app = create_app(config, clock=clock)
    database = app.extensions["moulin.db"]
    Base.metadata.drop_all(database.engine)
    database.create_all()
    tokens: dict[int, str] = {}
    bootstrap.adapters(app).token_provider = lambda portal: tokens[portal]
    bootstrap.adapters(app).sdk_options = {"client_side_validation": True}  # the SDK checks every response
    return app, tokens


def _drop(app) -> None:
    database = app.extensions["moulin.db"]
    Base.metadata.drop_all(database.engine)
    database.dispose()


@pytest.fixture
def sandbox_app(make_config, hubspot):
    """The app and the HubSpot sandbox; `install(app, state, tokens)` adds a portal."""
    state, server = hubspot
    app, tokens = _sandbox_app(make_config(hubspot_api_base=server.url))
    yield app, state, tokens
    _drop(app)


def install(app, state, tokens) -> World:
    """A new portal, installed: its token known to the app, its installation active."""
    portal_id = state.create_portal()
    tokens[portal_id] = state.issue_tokens(portal_id)["access_token"]
    with app.extensions["moulin.db"].session() as session:
        session.add(Installation(portal_id=portal_id, scopes="", status="active"))
    return World(app, state, portal_id)


def installed_world(config, state, clock=None) -> World:
    """One portal on its own app (`clock`: the app's, when a test moves it); `drop_world` ends it."""
    app, tokens = _sandbox_app(config, clock)
    return install(app, state, tokens)


def drop_world(world: World) -> None:
    _drop(world.app)


@pytest.fixture
def world(sandbox_app):
    return install(*sandbox_app)


@contextmanager
def installed_on_loopback(make_config, scopes: str = ""):
    """The sandbox (app id APP_ID) and the app on loopback, one portal installed with `scopes`: a World and the
    URL the sandbox delivers webhooks to."""
    with running_sandbox(app_id=APP_ID) as (state, url), \
            app_on_loopback(make_config, hubspot_api_base=url) as (app, hook_url):
        portal_id = state.create_portal()
        token = state.issue_tokens(portal_id)["access_token"]
        bootstrap.adapters(app).token_provider = lambda _portal: token
        bootstrap.adapters(app).sdk_options = {"client_side_validation": True}  # the SDK checks every response
        with app.extensions["moulin.db"].session() as session:
            session.add(Installation(portal_id=portal_id, scopes=scopes, status="active"))
        yield World(app, state, portal_id), hook_url
