"""HTTP entry points: thin blueprints that parse input, call one service, shape the response."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from .card_api import bp as card_api
    from .health import bp as health
    from .hubspot_webhooks import bp as hubspot_webhooks
    from .moulin_push import bp as moulin_push
    from .oauth import bp as oauth

    for blueprint in (health, oauth, moulin_push, hubspot_webhooks, card_api):
        app.register_blueprint(blueprint)
