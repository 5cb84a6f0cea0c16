"""The sample store's HTTP face: docs/moulin-api.yaml (api.py), plus `/_admin` controls (admin.py)."""
from __future__ import annotations

from flask import Flask

from . import admin, api, errors
from .params import STORE_KEY
from .store import SampleStore


def create_moulin_app(store: SampleStore) -> Flask:
    app = Flask("sandbox.moulin")
    app.extensions[STORE_KEY] = store
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    errors.register(app)
    return app
