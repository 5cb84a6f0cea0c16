"""HTTP entry points: thin blueprints that parse input, call one service, shape the response."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from .health import bp as health_bp
    from .hubspot_webhooks import bp as hubspot_webhooks_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(hubspot_webhooks_bp)
