"""The contact card's backend, called by `hubspot.fetch` from the app card (signed by HubSpot, v3).

GET  /card/orders?contactId=..&page=..&perPage=..   one page of the contact's orders, from the read model
POST /card/orders/refresh   {"contactId", "perPage"?}   pull from Moulin now, then the fresh first page
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .. import extensions
from ..card.access import ActivePortals, contact_id_of, external_url, json_object_of, require_active, signed_portal
from ..card.errors import CardError
from ..card.read_model import PageRequest, contact_orders
from ..card.refresh import refresh_contact
from .limits import read_body

bp = Blueprint("card_api", __name__, url_prefix="/card")


def _signed_portal() -> int:
    config = extensions.config()
    url = external_url(config, request.path, request.query_string)
    return signed_portal(config, request.method, url, read_body(), request.headers, request.args)


@bp.errorhandler(CardError)
def _card_error(error: CardError):
    response = jsonify(error.body())
    if "retry_after" in error.extra:
        response.headers["Retry-After"] = str(error.extra["retry_after"])
    return response, error.status


def _active_portals() -> ActivePortals:
    return current_app.extensions.setdefault("card.active_portals", ActivePortals())


@bp.get("/orders")
def list_orders():
    portal_id = _signed_portal()
    contact_id = contact_id_of(request.args.get("contactId"))
    paging = PageRequest.parse(request.args.get("page"), request.args.get("perPage"))
    # Read-only: a bare connection, without the ORM session's unit-of-work machinery.
    with extensions.db().engine.connect() as connection:
        _active_portals().require(connection, portal_id, extensions.clock()())
        return jsonify(contact_orders(connection, portal_id, contact_id, paging,
                                      extensions.config().hubspot_auth_base))


@bp.post("/orders/refresh")
def refresh_orders():
    portal_id = _signed_portal()
    body = json_object_of(read_body())
    contact_id = contact_id_of(body.get("contactId") or request.args.get("contactId"))
    with extensions.db().session() as session:
        require_active(session, portal_id)
    outcome = refresh_contact(portal_id, contact_id, PageRequest.parse(1, body.get("perPage")))
    if not outcome.finished:
        # Not a 5xx: HubSpot would retry it, and the retry would only meet the rate limit.
        return jsonify({**outcome.listing, "refresh": {"status": "running",
                        "message": "Moulin is slow to answer: the refresh goes on in the background."}}), 202
    return jsonify({**outcome.listing, "refresh": outcome.summary()})
