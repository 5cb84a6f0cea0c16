"""The sample store's HTTP face: docs/moulin-api.yaml, plus `/_admin` endpoints to change data."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, jsonify, render_template_string, request

from . import accounts
from .edits import EditError, age_checkout, apply_order_action, tick
from .links import LinksRefused, check as check_links
from .store import CursorError, SampleStore

MAX_LIMIT = 1000
COLLECTIONS = {"customers": "customers", "companies": "companies", "products": "products",
               "pickup-points": "pickup_points", "orders": "orders"}


class BadParameter(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def error(status: int, code: str, message: str, field: str | None = None):
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    return jsonify(error=body), status


def _datetime_arg(name: str) -> datetime | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(name, f"{name} must be an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise BadParameter(name, f"{name} must carry a timezone offset")
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 falls before year 1 in UTC
        raise BadParameter(name, f"{name} is out of range") from None


def _limit() -> int:
    value = request.args.get("limit", "100")
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise BadParameter("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def _only(*allowed: str) -> None:
    # Strict on purpose: a misspelt parameter in the client must fail here, not be silently ignored.
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise BadParameter(unknown[0], f"unknown query parameter {unknown[0]!r}")


LINKS_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ store.name }}: HubSpot links</title>
</head><body><h1>{{ store.name }}: HubSpot links</h1>
{% if not rows %}<p>No links received yet{% if not store.links.enabled %} (this store does not take them){% endif %}.</p>
{% else %}<table><thead><tr><th>record</th><th>id</th><th>HubSpot</th></tr></thead><tbody>
{% for (collection, record_id), links in rows %}<tr><td>{{ collection[:-1] }}</td><td>{{ record_id }}</td><td>
{% for target, link in links.items() if target != "portal_id" and link %}<a href="{{ link.url }}">{{ target }} {{ link.id }}</a> {% endfor %}
</td></tr>{% endfor %}</tbody></table>{% endif %}</body></html>"""


CONSENT_STATES = ("granted", "withdrawn")


def _consent_body(body: dict) -> dict:
    """docs/moulin-api.yaml `ConsentChange`: a new consent state, when it was given or withdrawn, and where."""
    if body.get("marketing_email") not in CONSENT_STATES:
        raise BadParameter("marketing_email", "marketing_email must be granted or withdrawn")
    try:
        changed_at = datetime.fromisoformat(str(body.get("changed_at")))
    except ValueError:
        raise BadParameter("changed_at", "changed_at must be an ISO 8601 date-time with its offset") from None
    if changed_at.tzinfo is None:
        raise BadParameter("changed_at", "changed_at must carry a timezone offset")
    source = body.get("source")
    if not isinstance(source, str) or not 0 < len(source) <= 64:
        raise BadParameter("source", "source must be a non-empty string of at most 64 characters")
    return {"marketing_email": body["marketing_email"], "changed_at": changed_at.isoformat(), "source": source}


def create_moulin_app(store: SampleStore) -> Flask:
    app = Flask("sandbox.moulin")
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    @app.before_request
    def authenticate():
        if request.path.startswith("/_admin"):
            return None  # the sandbox's own controls, for tests and the demo
        if request.headers.get("X-Moulin-Api-Key") != store.api_key:
            return error(401, "unauthorized", "missing or wrong X-Moulin-Api-Key")
        return None

    @app.errorhandler(BadParameter)
    def bad_parameter(exc: BadParameter):
        return error(400, "invalid_parameter", str(exc), exc.field)

    @app.errorhandler(CursorError)
    def bad_cursor(exc: CursorError):
        return error(400, "invalid_parameter", str(exc), "cursor")

    @app.errorhandler(404)
    def not_found(_exc):
        return error(404, "not_found", "no such resource")

    @app.errorhandler(405)
    def not_allowed(exc):
        body, status = error(405, "method_not_allowed", "method not allowed on this resource")
        return body, status, {"Allow": ", ".join(exc.valid_methods or ())}

    @app.get("/ping")
    def ping():
        _only()
        # A store that takes HubSpot's links back says so; one that predates them lists nothing.
        extra = {"capabilities": ["hubspot_links"]} if store.links.enabled else {}
        return jsonify(store=store.store_code, name=store.name, time=store.now.isoformat(), **extra)

    @app.put("/hubspot-links")
    def hubspot_links():
        _only()
        store.links.requests += 1
        if not store.links.enabled:
            return error(404, "not_found", "no such resource")
        if store.links.fail_with:
            return error(store.links.fail_with, "unavailable", "the links could not be saved")
        try:
            records = check_links(request.get_json(silent=True))
        except LinksRefused as exc:
            return error(400, "invalid_body", str(exc), exc.field)
        store.links.keep(request.get_json()["portal_id"], records)
        return jsonify(orders=len(records["orders"]), customers=len(records["customers"]))

    @app.get("/<any(customers, companies, products, 'pickup-points', orders):collection>")
    def list_records(collection: str):
        _only("cursor", "limit", *(() if collection == "pickup-points" else ("updated_since",)))
        page = store.page(COLLECTIONS[collection], updated_since=_datetime_arg("updated_since"),
                          cursor=request.args.get("cursor"), limit=_limit())
        return jsonify(data=page.data, next_cursor=page.next_cursor)

    @app.get("/customers/lookup")
    def lookup():
        _only("email")
        email = (request.args.get("email") or "").strip()
        if not email:
            raise BadParameter("email", "email is required")
        customers, orders = store.lookup(email)
        return jsonify(customers=customers, orders=orders)

    @app.get("/<any(customers, companies, products, orders):collection>/<record_id>")
    def get_record(collection: str, record_id: str):
        _only()
        record = store.get(COLLECTIONS[collection], record_id)
        if record is None:
            return error(404, "not_found", f"no {collection[:-1]} {record_id}")
        return jsonify(record)

    @app.put("/customers/<customer_id>/consent")
    def put_consent(customer_id: str):
        consent = _consent_body(_json_body())
        result = store.set_consent(customer_id, consent)
        if result is None:
            return error(404, "not_found", f"no customer {customer_id}")
        current, applied = result
        return jsonify(consent=current, applied=applied)

    @app.get("/deletions")
    def deletions():
        _only("since", "cursor", "limit")
        page = store.deletions_page(since=_datetime_arg("since"), cursor=request.args.get("cursor"),
                                    limit=_limit())
        return jsonify(data=page.data, next_cursor=page.next_cursor)

    # -- sandbox controls --------------------------------------------------------------------

    def _json_body() -> dict:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadParameter("body", "a JSON object is expected")
        return body

    @app.post("/_admin/orders/<order_id>")
    def admin_order(order_id: str):
        try:
            order = apply_order_action(store, order_id, _json_body())
        except EditError as exc:
            return error(400, "invalid_action", str(exc), "action")
        return jsonify(order) if order is not None else error(404, "not_found", f"no order {order_id}")

    @app.delete("/_admin/orders/<order_id>")
    def admin_delete_order(order_id: str):
        if not store.delete("orders", order_id):
            return error(404, "not_found", f"no order {order_id}")
        return "", 204

    @app.post("/_admin/customers/<customer_id>")
    def admin_customer(customer_id: str):
        try:
            customer = store.update_customer(customer_id, _json_body())
        except ValueError as exc:
            return error(400, "invalid_change", str(exc))
        return jsonify(customer) if customer is not None else error(404, "not_found", f"no customer {customer_id}")

    @app.post("/_admin/orders/<order_id>/age")
    def admin_age_checkout(order_id: str):
        try:
            order = age_checkout(store, order_id, _json_body().get("hours"))
        except EditError as exc:
            return error(400, "invalid_change", str(exc), "hours")
        return jsonify(order) if order is not None else error(404, "not_found", f"no order {order_id}")

    @app.post("/_admin/companies/<company_id>")
    def admin_company(company_id: str):
        try:
            company = store.update_company(company_id, _json_body())
        except ValueError as exc:
            return error(400, "invalid_change", str(exc))
        return jsonify(company) if company is not None else error(404, "not_found", f"no company {company_id}")

    @app.delete("/_admin/products/<product_id>")
    def admin_delete_product(product_id: str):
        if not store.delete("products", product_id):
            return error(404, "not_found", f"no product {product_id}")
        return "", 204

    @app.delete("/_admin/customers/<customer_id>")
    def admin_delete_customer(customer_id: str):
        if not accounts.delete_customer(store, customer_id):
            return error(404, "not_found", f"no customer {customer_id}")
        return "", 204

    @app.post("/_admin/customers/<customer_id>/email")
    def admin_change_email(customer_id: str):
        try:
            customer = accounts.change_email(store, customer_id, _json_body().get("email"))
        except accounts.AccountError as exc:
            return error(400, "invalid_change", str(exc), "email")
        return jsonify(customer) if customer is not None else error(404, "not_found", f"no customer {customer_id}")

    @app.post("/_admin/customers/<customer_id>/merge")
    def admin_merge_customers(customer_id: str):
        merged_id = _json_body().get("from")
        if not isinstance(merged_id, str) or not merged_id:
            raise BadParameter("from", "from must name the customer merged into this one")
        try:
            customer = accounts.merge_customers(store, customer_id, merged_id)
        except accounts.AccountError as exc:
            return error(400, "invalid_change", str(exc), "from")
        if customer is None:
            return error(404, "not_found", f"no customer {customer_id} or {merged_id}")
        return jsonify(customer)

    @app.post("/_admin/orders")
    def admin_create_order():
        body = _json_body()
        return jsonify(store.create_order(body.get("customer_id"), int(body.get("lines", 1)))), 201

    @app.post("/_admin/tick")
    def admin_tick():
        body = request.get_json(silent=True) or {}
        return jsonify(changes=tick(store, int(body.get("edits", 5))), now=store.now.isoformat())

    @app.post("/_admin/clock")
    def admin_clock():
        seconds = _json_body().get("advance_seconds", 0)
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise BadParameter("advance_seconds", "advance_seconds must be a non-negative number")
        return jsonify(now=store.advance(seconds).isoformat())

    @app.get("/_admin/hubspot-links")
    def admin_hubspot_links():
        """The back office's view: each order and customer with its HubSpot records, one click away."""
        return render_template_string(LINKS_PAGE, store=store, rows=sorted(store.links.current.items()))

    @app.post("/_admin/hubspot-links/fault")
    def admin_links_fault():
        status = _json_body().get("status")
        if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
            raise BadParameter("status", "status must be null or an HTTP error status (400-599)")
        store.links.fail_with = status
        return jsonify(status=status)

    @app.post("/_admin/push")
    def admin_push():
        body = _json_body()
        if not body.get("url") or not body.get("secret"):
            raise BadParameter("url", "url and secret are required")
        store.push_to(body["url"], body["secret"])
        return jsonify(status="ok")

    return app
