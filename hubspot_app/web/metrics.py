"""`/metrics` for Prometheus. It names portal ids, so it is closed (404) unless METRICS_TOKEN is set (then
only `Authorization: Bearer <token>` reads it) or METRICS_PRIVATE_LISTENER says only a private network
reaches this listener."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST

from .. import extensions
from ..metrics import exposition

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    config = extensions.config()
    token = config.metrics_token
    if token is None and not config.metrics_private_listener:
        abort(404)
    given = request.headers.get("Authorization", "").encode("latin-1", "replace")
    if token and not hmac.compare_digest(given, f"Bearer {token}".encode()):
        abort(401)
    body = exposition(extensions.db(), extensions.jobs(), extensions.clock(), extensions.webhook_inbox())
    return Response(body, mimetype=CONTENT_TYPE_LATEST)
