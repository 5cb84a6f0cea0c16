"""Sandbox-only: a contact record page that runs the real cards of crm_cards/, and HubSpot's `hubspot.fetch` proxy.

GET  /contacts/<portal>/record/0-1/<contact>   the record page (HubSpot's own URL shape), both cards on it
GET  /contacts/<portal>/record/0-2|0-3/<id>     a company's or deal's page (its properties), where the links lead
GET  /_sandbox/preview/cards/<uid>.js          a card's bundle (card_bundles.py builds them)
POST /_sandbox/preview/fetch                   what the preview host's `hubspot.fetch` calls (card_fetch_proxy.py)
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, send_file

from ..card_bundles import bundle_path, project_cards
from ..card_fetch_proxy import CardRequest, FetchRefused, permitted_fetch_urls, relay
from ..state import SANDBOX_USER_ID
from . import state

blueprint = Blueprint("hubspot_sandbox_preview", __name__, template_folder="../templates")

# Columns of HubSpot's contact record page, in CSS pixels, for judging the cards at about their real size.
# HubSpot documents no widths (none found in its docs): these approximate its three-column layout (fixed left
# and right sidebars, the middle column with the tabs takes the rest) in a 1440 px wide window.
SIDEBAR_WIDTH_PX = 360
LEFT_COLUMN_WIDTH_PX = 300


def _user_email(portal_id: int) -> str:
    return f"sales.rep@{state().portal(portal_id).hub_domain}"


@blueprint.get("/contacts/<int:portal_id>/record/0-1/<contact_id>")
def record_page(portal_id, contact_id):
    if not state().portal_alive(portal_id):
        abort(404, f"portal {portal_id} not found")
    contact = state().objects(portal_id, "contacts").get(contact_id)
    if contact is None or contact.archived:
        abort(404, f"contact {contact_id} not found in portal {portal_id}")
    cards = project_cards()
    return render_template(
        "record_page.html", portal_id=portal_id, contact=contact, user_email=_user_email(portal_id),
        user_id=SANDBOX_USER_ID, sidebar=[c for c in cards if c.location == "crm.record.sidebar"],
        tabs=[c for c in cards if c.location == "crm.record.tab"], sidebar_width=SIDEBAR_WIDTH_PX,
        left_width=LEFT_COLUMN_WIDTH_PX)


# Object type ids of the other record pages the app links to (hubspot_app/domain/record_pages.py).
OBJECT_PAGES = {"0-2": ("companies", "Company", "name"), "0-3": ("deals", "Deal", "dealname")}


@blueprint.get("/contacts/<int:portal_id>/record/<any('0-2', '0-3'):type_id>/<record_id>")
def object_page(portal_id, type_id, record_id):
    """Where the card's deal links and the store's links lead: the record's properties, no cards."""
    object_type, label, title_property = OBJECT_PAGES[type_id]
    if not state().portal_alive(portal_id):
        abort(404, f"portal {portal_id} not found")
    record = state().objects(portal_id, object_type).get(record_id)
    if record is None or record.archived:
        abort(404, f"{label.lower()} {record_id} not found in portal {portal_id}")
    return render_template("object_page.html", portal_id=portal_id, record=record, label=label,
                           title_property=title_property)


@blueprint.get("/_sandbox/preview/cards/<uid>.js")
def card_bundle(uid):
    path = bundle_path(uid)
    if path is None:
        abort(404, f"no bundle for card {uid!r}: run `make card-preview` (npm run build:preview in "
                   "crm_cards/src/app/cards)")
    return send_file(path, mimetype="text/javascript", max_age=0)


@blueprint.post("/_sandbox/preview/fetch")
def card_fetch():
    sandbox = state()
    data = request.get_json(silent=True)
    try:
        card = CardRequest.parse(data if isinstance(data, dict) else {})
    except FetchRefused as refused:
        return jsonify({"message": str(refused)}), 400
    if not sandbox.portal_alive(card.portal_id):
        return jsonify({"message": f"portal {card.portal_id} not found"}), 400
    try:
        answer = relay(card, client_secret=sandbox.oauth.client_secret, app_id=sandbox.app_id,
                       backend_url=sandbox.card_backend_url, user_id=SANDBOX_USER_ID,
                       user_email=_user_email(card.portal_id), permitted=permitted_fetch_urls())
    except FetchRefused as refused:
        return jsonify({"message": str(refused)}), 502
    return jsonify({"status": answer.status, "body": answer.body, "contentType": answer.content_type})
