"""How every entry point answers a refused request or an outage: JSON for machines, a page for people.

Machine callers (HubSpot's webhooks and card fetches, Moulin's push, the metrics scraper) read the status
and a JSON error; the card shows its `message`. People get an HTML page, never a traceback.

An outage (the database or Redis unreachable) is a 503 with `Retry-After`: HubSpot retries webhooks and the
card's fetch, and nothing was half-done (webhook events are stored in one transaction, and a delivery
already stored dedupes on retry). A value the database cannot store (out of range, a NUL on PostgreSQL) is
the caller's bad input: 400, so that a sender that retries stops.
"""
from __future__ import annotations

import logging
import sqlite3

import redis.exceptions
from flask import Flask, jsonify, render_template, request
from sqlalchemy import exc as sa
from werkzeug.exceptions import HTTPException, InternalServerError

from ..logs import log_event

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 30
# Paths called by programs, not people; matched on the path so that unrouted URLs under them answer JSON too.
MACHINE_PREFIXES = ("/card/", "/webhooks/", "/moulin/", "/metrics", "/healthz")
# Moulin's contract (docs/moulin-api.yaml) nests the error: {"error": {"code", "message"}}.
NESTED_ERROR_PREFIXES = ("/moulin/",)

OUTAGES = (sa.OperationalError, sa.InterfaceError, sa.TimeoutError, sqlite3.OperationalError,
           redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# Werkzeug's names for the statuses machine callers meet, made stable codes.
_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          413: "too_large", 415: "unsupported_media_type", 500: "internal_error", 503: "unavailable"}


def is_machine_request() -> bool:
    return request.path.startswith(MACHINE_PREFIXES)


def machine_error(status: int, code: str, message: str, **headers):
    body = {"code": code, "message": message}
    payload = {"error": body} if request.path.startswith(NESTED_ERROR_PREFIXES) else {"error": code,
                                                                                        "message": message}
    response = jsonify(payload)
    response.status_code = status
    response.headers.update(headers)
    return response


def _http_error(error: HTTPException):
    if not is_machine_request():
        return error  # Werkzeug's own short HTML page
    status = error.code or 500
    return machine_error(status, _CODES.get(status, "error"), error.description or error.name)


def _outage(error: Exception):
    log_event(logger, "edge.unavailable", logging.WARNING, path=request.path, error=type(error).__name__)
    message = "A service this app depends on is not answering; nothing was changed. Try again shortly."
    if is_machine_request():
        return machine_error(503, "unavailable", message, **{"Retry-After": str(RETRY_AFTER_S)})
    page = render_template("error.html", heading="Temporarily unavailable", message=message)
    return page, 503, {"Retry-After": str(RETRY_AFTER_S)}


def _unstorable(error: sa.DataError):
    log_event(logger, "edge.unstorable_value", logging.WARNING, path=request.path,
              error=type(error.orig).__name__ if error.orig is not None else "DataError")
    message = "A value in this request cannot be stored: a number out of range or a NUL character."
    if is_machine_request():
        return machine_error(400, "invalid_value", message)
    return render_template("error.html", heading="This request cannot be saved", message=message), 400


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(sa.DataError, _unstorable)
    for outage in OUTAGES:
        app.register_error_handler(outage, _outage)
    # Flask has already logged the traceback; a machine caller still gets JSON, not an HTML page.
    app.register_error_handler(InternalServerError, _http_error)
