"""The HubSpot sandbox as a WSGI app."""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from . import gate
from .api import admin, associations, marketing, objects, oauth, pipelines, preview, properties, search
from .errors import HubSpotError, correlation_id
from .oauth import OAuthError

logger = logging.getLogger(__name__)


def create_sandbox_app(state) -> Flask:
    app = Flask("sandbox.hubspot")
    app.extensions["hubspot_sandbox"] = state
    app.json.sort_keys = False
    for module in (oauth, objects, search, associations, properties, pipelines, marketing, admin, preview):
        app.register_blueprint(module.blueprint)
    gate.install(app, state)

    @app.errorhandler(HubSpotError)
    def hubspot_error(error: HubSpotError):
        return jsonify(error.body()), error.http_status

    @app.errorhandler(OAuthError)
    def oauth_error(error: OAuthError):
        return jsonify(error.body(correlation_id())), error.http_status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        body = {"status": "error", "message": error.description or error.name, "correlationId": correlation_id(),
                "category": "OBJECT_NOT_FOUND" if error.code == 404 else "VALIDATION_ERROR"}
        return jsonify(body), error.code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        logger.exception("sandbox.unexpected_error")
        body = {"status": "error", "message": f"internal error: {error}", "correlationId": correlation_id(),
                "category": "INTERNAL_ERROR"}
        return jsonify(body), 500

    return app
