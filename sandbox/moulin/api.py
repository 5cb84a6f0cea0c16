"""The public Moulin API of the sample store (docs/moulin-api.yaml), behind its API key."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .errors import BadParameter, error, not_found
from .links import LinksRefused, check as check_links
from .params import consent_body, datetime_arg, json_body, limit, only, sample_store

bp = Blueprint("moulin_api", __name__)
COLLECTIONS = {"customers": "customers", "companies": "companies", "products": "products",
               "pickup-points": "pickup_points", "orders": "orders"}


@bp.before_app_request
def authenticate():
    # App-wide: an unknown path or method without the key answers 401 too, not 404 or 405.
    if request.path.startswith("/_admin"):
        return None  # the sandbox's own controls, for tests and the demo
    if request.headers.get("X-Moulin-Api-Key") != sample_store().api_key:
        return error(401, "unauthorized", "missing or wrong X-Moulin-Api-Key")
    return None


@bp.get("/ping")
def ping():
    only()
    store = sample_store()
    # A store that takes HubSpot's links back says so; one that predates them lists nothing.
    extra = {"capabilities": ["hubspot_links"]} if store.links.enabled else {}
    return jsonify(store=store.store_code, name=store.name, time=store.now.isoformat(), **extra)


@bp.put("/hubspot-links")
def hubspot_links():
    only()
    links = sample_store().links
    links.requests += 1
    if not links.enabled:
        return not_found()
    if links.fail_with:
        return error(links.fail_with, "unavailable", "the links could not be saved")
    try:
        records = check_links(request.get_json(silent=True))
    except LinksRefused as exc:
        return error(400, "invalid_body", str(exc), exc.field)
    links.keep(request.get_json()["portal_id"], records)
    return jsonify(orders=len(records["orders"]), customers=len(records["customers"]))


@bp.get("/<any(customers, companies, products, 'pickup-points', orders):collection>")
def list_records(collection: str):
    only("cursor", "limit", *(() if collection == "pickup-points" else ("updated_since",)))
    page = sample_store().page(COLLECTIONS[collection], updated_since=datetime_arg("updated_since"),
                               cursor=request.args.get("cursor"), limit=limit())
    return jsonify(data=page.data, next_cursor=page.next_cursor)


@bp.get("/customers/lookup")
def lookup():
    only("email")
    email = (request.args.get("email") or "").strip()
    if not email:
        raise BadParameter("email", "email is required")
    customers, orders = sample_store().lookup(email)
    return jsonify(customers=customers, orders=orders)


@bp.get("/<any(customers, companies, products, orders):collection>/<record_id>")
def get_record(collection: str, record_id: str):
    only()
    record = sample_store().get(COLLECTIONS[collection], record_id)
    if record is None:
        return not_found(f"no {collection[:-1]} {record_id}")
    return jsonify(record)


@bp.put("/customers/<customer_id>/consent")
def put_consent(customer_id: str):
    consent = consent_body(json_body())
    result = sample_store().set_consent(customer_id, consent)
    if result is None:
        return not_found(f"no customer {customer_id}")
    current, applied = result
    return jsonify(consent=current, applied=applied)


@bp.get("/deletions")
def deletions():
    only("since", "cursor", "limit")
    page = sample_store().deletions_page(since=datetime_arg("since"), cursor=request.args.get("cursor"),
                                         limit=limit())
    return jsonify(data=page.data, next_cursor=page.next_cursor)
