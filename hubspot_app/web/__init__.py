"""HTTP entry points: thin blueprints that parse input, call one service, shape the response."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in every URL: ASCII digits that fit BIGINT, or the URL does not match (404).

    Werkzeug's own accepts any Unicode digit and any length, and a 20-digit id overflows SQLite's
    INTEGER and PostgreSQL's BIGINT: a 500 for a mistyped URL.
    """

    regex = r"[0-9]{1,19}"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2 ** 63 - 1)
        super().__init__(map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    from . import errors, headers, limits
    from .card_api import bp as card_api
    from .health import bp as health
    from .hubspot_webhooks import bp as hubspot_webhooks
    from .metrics import bp as metrics
    from .moulin_push import bp as moulin_push
    from .oauth import bp as oauth
    from .operator import register as register_operator

    app.url_map.converters["int"] = DatabaseIdConverter  # before any rule is added
    for blueprint in (health, metrics, oauth, moulin_push, hubspot_webhooks, card_api):
        app.register_blueprint(blueprint)
    register_operator(app)
    # The edge every request crosses: the public origin, body caps, security headers, errors as JSON or pages.
    headers.register(app, app.extensions["moulin.config"].app_base_url)
    limits.register(app)
    errors.register(app)
