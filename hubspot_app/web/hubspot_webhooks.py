"""POST /webhooks/hubspot: verify the signature, store the delivery as received, enqueue, answer 2xx fast.

HubSpot retries a delivery answered with anything but 400, 401, 403, 404 or 405
(up to 10 times; docs/webhooks.md cites the source), so only a bad signature
(401) or a body that can never be read (400) is refused, and an outage answers
503 to be sent again; the worker parses the events, skips those we do not
handle and logs those it cannot read.
"""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from .. import extensions
from ..hubspot.signature import verify_request
from ..logs import log_event
from ..webhooks.events import MalformedDelivery, read_delivery
from ..webhooks.intake import receive
from .limits import read_body

bp = Blueprint("hubspot_webhooks", __name__)
logger = logging.getLogger(__name__)


def external_url() -> str:
    """The URL HubSpot signed: our public base URL, never the Host header a proxy forwarded."""
    url = extensions.config().app_base_url + request.path
    query = request.query_string.decode("latin-1")
    return f"{url}?{query}" if query else url


@bp.post("/webhooks/hubspot")
def hubspot_webhook():
    body = read_body()
    check = verify_request(extensions.config().hubspot_client_secret, request.method, external_url(), body,
                           request.headers)
    if not check.ok:
        log_event(logger, "webhook.rejected", logging.WARNING, reason=check.reason)
        return jsonify(error="invalid signature"), 401
    try:
        events = read_delivery(body)  # each event is read by the worker
    except MalformedDelivery as error:
        log_event(logger, "webhook.malformed", logging.WARNING, reason=str(error))
        return jsonify(error="malformed_delivery", message=str(error)), 400
    delivery_id = receive(extensions.webhook_inbox(), extensions.jobs(), body)
    return jsonify(delivery_id=delivery_id, events=len(events)), 200
