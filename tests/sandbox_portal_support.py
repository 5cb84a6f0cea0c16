"""An app on an empty database, with a HubSpot sandbox portal it can call (a token issued without the browser)."""
from __future__ import annotations

from hubspot_app.db.base import Base
from hubspot_app import bootstrap


def empty_database(app):
    database = app.extensions["moulin.db"]
    Base.metadata.drop_all(database.engine)
    database.create_all()
    return database


def connect_sandbox_portal(app, state) -> int:
    """A new sandbox portal whose API calls use a token issued directly (the OAuth flow has its own tests)."""
    portal_id = state.create_portal()
    token = state.issue_tokens(portal_id)["access_token"]
    bootstrap.adapters(app).token_provider = lambda _portal: token
    return portal_id
