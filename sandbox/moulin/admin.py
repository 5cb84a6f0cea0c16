"""`/_admin`: the sandbox's own controls (no API key), for tests and the demo to change the store's data."""
from __future__ import annotations

from typing import Callable

from flask import Blueprint, jsonify, render_template_string, request

from . import accounts
from .edits import EditError, age_checkout, apply_order_action, tick
from .errors import BadParameter, error, not_found
from .params import json_body, sample_store

bp = Blueprint("moulin_admin", __name__, url_prefix="/_admin")

LINKS_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ store.name }}: HubSpot links</title>
</head><body><h1>{{ store.name }}: HubSpot links</h1>
{% if not rows %}<p>No links received yet{% if not store.links.enabled %} (this store does not take them){% endif %}.</p>
{% else %}<table><thead><tr><th>record</th><th>id</th><th>HubSpot</th></tr></thead><tbody>
{% for (collection, record_id), links in rows %}<tr><td>{{ collection[:-1] }}</td><td>{{ record_id }}</td><td>
{% for target, link in links.items() if target != "portal_id" and link %}<a href="{{ link.url }}">{{ target }} {{ link.id }}</a> {% endfor %}
</td></tr>{% endfor %}</tbody></table>{% endif %}</body></html>"""


def _found(record: dict | None, kind: str, record_id: str):
    return jsonify(record) if record is not None else not_found(f"no {kind} {record_id}")


def _changed(change: Callable[[], dict | None], kind: str, record_id: str, *, refused: type[Exception] = ValueError,
             code: str = "invalid_change", field: str | None = None):
    """One change to one record: the change's own error answers 400, a missing record 404."""
    try:
        record = change()
    except refused as exc:
        return error(400, code, str(exc), field)
    return _found(record, kind, record_id)


def _deleted(done: bool, kind: str, record_id: str):
    return ("", 204) if done else not_found(f"no {kind} {record_id}")


# -- orders ------------------------------------------------------------------------------------

@bp.post("/orders/<order_id>")
def order_action(order_id: str):
    return _changed(lambda: apply_order_action(sample_store(), order_id, json_body()), "order", order_id,
                    refused=EditError, code="invalid_action", field="action")


@bp.delete("/orders/<order_id>")
def delete_order(order_id: str):
    return _deleted(sample_store().delete("orders", order_id), "order", order_id)


@bp.post("/orders/<order_id>/age")
def age_order_checkout(order_id: str):
    return _changed(lambda: age_checkout(sample_store(), order_id, json_body().get("hours")), "order", order_id,
                    refused=EditError, field="hours")


@bp.post("/orders")
def create_order():
    body = json_body()
    return jsonify(sample_store().create_order(body.get("customer_id"), int(body.get("lines", 1)))), 201


# -- customers, companies, products ------------------------------------------------------------

@bp.post("/customers/<customer_id>")
def update_customer(customer_id: str):
    # json_body's BadParameter is a ValueError too: a body that is no object answers invalid_change here.
    return _changed(lambda: sample_store().update_customer(customer_id, json_body()), "customer", customer_id)


@bp.delete("/customers/<customer_id>")
def delete_customer(customer_id: str):
    return _deleted(accounts.delete_customer(sample_store(), customer_id), "customer", customer_id)


@bp.post("/customers/<customer_id>/email")
def change_email(customer_id: str):
    return _changed(lambda: accounts.change_email(sample_store(), customer_id, json_body().get("email")),
                    "customer", customer_id, refused=accounts.AccountError, field="email")


@bp.post("/customers/<customer_id>/merge")
def merge_customers(customer_id: str):
    merged_id = json_body().get("from")
    if not isinstance(merged_id, str) or not merged_id:
        raise BadParameter("from", "from must name the customer merged into this one")
    try:
        customer = accounts.merge_customers(sample_store(), customer_id, merged_id)
    except accounts.AccountError as exc:
        return error(400, "invalid_change", str(exc), "from")
    if customer is None:
        return not_found(f"no customer {customer_id} or {merged_id}")
    return jsonify(customer)


@bp.post("/companies/<company_id>")
def update_company(company_id: str):
    return _changed(lambda: sample_store().update_company(company_id, json_body()), "company", company_id)


@bp.delete("/products/<product_id>")
def delete_product(product_id: str):
    return _deleted(sample_store().delete("products", product_id), "product", product_id)


# -- time, HubSpot links, push -----------------------------------------------------------------

@bp.post("/tick")
def advance_timeline():
    store = sample_store()
    body = json_body() if request.get_data() else {}  # no body: the default burst
    edits = body.get("edits", 5)
    if not isinstance(edits, int) or isinstance(edits, bool) or not 0 <= edits <= 10_000:
        raise BadParameter("edits", "an integer from 0 to 10000 is expected")
    return jsonify(changes=tick(store, edits), now=store.now.isoformat())


@bp.post("/clock")
def advance_clock():
    seconds = json_body().get("advance_seconds", 0)
    if not isinstance(seconds, (int, float)) or seconds < 0:
        raise BadParameter("advance_seconds", "advance_seconds must be a non-negative number")
    return jsonify(now=sample_store().advance(seconds).isoformat())


@bp.get("/hubspot-links")
def hubspot_links_page():
    """The back office's view: each order and customer with its HubSpot records, one click away."""
    store = sample_store()
    return render_template_string(LINKS_PAGE, store=store, rows=sorted(store.links.current.items()))


@bp.post("/hubspot-links/fault")
def hubspot_links_fault():
    status = json_body().get("status")
    if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
        raise BadParameter("status", "status must be null or an HTTP error status (400-599)")
    sample_store().links.fail_with = status
    return jsonify(status=status)


@bp.post("/push")
def push():
    body = json_body()
    if not body.get("url") or not body.get("secret"):
        raise BadParameter("url", "url and secret are required")
    sample_store().push_to(body["url"], body["secret"])
    return jsonify(status="ok")
