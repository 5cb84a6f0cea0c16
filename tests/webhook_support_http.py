"""The app on a loopback port whose APP_BASE_URL is its own URL, so signed deliveries verify."""
from __future__ import annotations

from contextlib import contextmanager

from hubspot_app import create_app
from hubspot_app.db.base import Base
from sandbox.serving import serve_in_thread


@contextmanager
def app_on_loopback(make_config, wrap=None, **overrides):
    holder = {}
    server = serve_in_thread(lambda environ, start: holder["wsgi"](environ, start))
    app = create_app(make_config(app_base_url=server.url, **overrides))
    database = app.extensions["moulin.db"]
    Base.metadata.drop_all(database.engine)
    database.create_all()
    holder["wsgi"] = wrap(app.wsgi_app) if wrap else app.wsgi_app
    try:
        yield app, server.url + "/webhooks/hubspot"
    finally:
        server.stop()
        Base.metadata.drop_all(database.engine)
        database.dispose()
