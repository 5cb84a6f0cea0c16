"""The sample store's HTTP face: docs/moulin-api.yaml, plus `/_admin` endpoints to change data."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, jsonify, request

from . import accounts
from .edits import EditError, age_checkout, apply_order_action, tick
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
        return jsonify(store=store.store_code, name=store.name, time=store.now.isoformat())

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

    @app.post("/_admin/push")
    def admin_push():
        body = _json_body()
        if not body.get("url") or not body.get("secret"):
            raise BadParameter("url", "url and secret are required")
        store.push_to(body["url"], body["secret"])
        return jsonify(status="ok")

    return app
