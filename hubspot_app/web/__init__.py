"""HTTP entry points: thin blueprints that parse input, call one service, shape the response."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from .health import bp as health_bp
    from .oauth import bp as oauth_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(oauth_bp)

    from .moulin_push import bp as moulin_push_bp

    app.register_blueprint(moulin_push_bp)

    from .hubspot_webhooks import bp as hubspot_webhooks_bp

    app.register_blueprint(hubspot_webhooks_bp)

    from .metrics import bp as metrics_bp
    from .operator import register as register_operator

    app.register_blueprint(metrics_bp)
    register_operator(app)
