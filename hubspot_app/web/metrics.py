"""`/metrics` for Prometheus. Behind a bearer token when METRICS_TOKEN is set: it names portal ids."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST

from .. import extensions
from ..metrics import exposition

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    token = extensions.config().metrics_token
    if token and not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        abort(401)
    body = exposition(extensions.db(), extensions.jobs(), extensions.clock())
    return Response(body, mimetype=CONTENT_TYPE_LATEST)
