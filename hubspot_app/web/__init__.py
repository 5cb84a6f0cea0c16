"""HTTP entry points: thin blueprints that parse input, call one service, shape the response."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import errors, headers, limits
    from .card_api import bp as card_api
    from .health import bp as health
    from .hubspot_webhooks import bp as hubspot_webhooks
    from .metrics import bp as metrics
    from .moulin_push import bp as moulin_push
    from .oauth import bp as oauth
    from .operator import register as register_operator

    for blueprint in (health, metrics, oauth, moulin_push, hubspot_webhooks, card_api):
        app.register_blueprint(blueprint)
    register_operator(app)
    # The edge every request crosses: the public origin, body caps, security headers, errors as JSON or pages.
    headers.register(app, app.extensions["moulin.config"].app_base_url)
    limits.register(app)
    errors.register(app)
