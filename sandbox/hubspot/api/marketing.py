"""Marketing forms, secure form submissions and email subscription statuses (date-based 2026-03 API).

Shapes and rules are in `sandbox/hubspot/marketing.py` with their sources; this module is the HTTP layer.
"""
from __future__ import annotations

from flask import Blueprint, g, request

from .. import marketing as mk
from ..errors import HubSpotError, not_found
from ..objects import Plan
from ..schema import object_type
from . import body, state

blueprint = Blueprint("hubspot_sandbox_marketing", __name__)
CONTACTS = object_type("contacts")
INLINE_MESSAGE = "Thanks for submitting the form."


def _marketing() -> mk.Marketing:
    return state().marketing_of(g.portal_id)


@blueprint.post("/marketing/v3/forms/")
@blueprint.post("/marketing/v3/forms")
def create_form():
    return mk.create_form(_marketing(), body(), state().clock.iso()), 201


@blueprint.get("/marketing/v3/forms/<form_id>")
def get_form(form_id):
    form = _marketing().forms.get(form_id)
    if form is None or form["archived"]:
        raise not_found(f"Form {form_id} not found")
    return form


@blueprint.post("/submissions/v3/integration/secure/submit/<int:portal_id>/<form_guid>")
def secure_submit(portal_id, form_guid):
    if portal_id != g.portal_id:
        raise HubSpotError(403, f"The token does not belong to portal {portal_id}", "MISSING_SCOPES")
    marketing = _marketing()
    form = marketing.forms.get(form_guid)
    if form is None or form["archived"]:
        raise mk.form_error(404, "Form not found", "FORM_NOT_FOUND", f"No form {form_guid} in portal {portal_id}")
    data = body()
    submission = mk.check_submission(form, data)
    sandbox = state()
    crm = sandbox.crm(g.portal_id)
    contact = crm.find_by_value(CONTACTS, "email", submission.email)
    submitted_ms = sandbox.clock.now_ms()
    values = {k: v for k, v in submission.properties.items() if v}
    # HubSpot ties the cookie's earlier page views to the contact; the analytics properties are its own.
    if submission.hutk is not None and (contact is None or not contact.properties.get("hs_analytics_source")):
        values.update(mk.analytics_properties(marketing.visits.get(submission.hutk, []), submitted_ms))
    if contact is None:
        values["email"] = submission.email
    contact = crm.apply(Plan(CONTACTS, values, contact, [], {}))
    for item in ((data.get("legalConsentOptions") or {}).get("consent") or {}).get("communications") or []:
        sandbox.set_subscription(g.portal_id, submission.email, int(item.get("subscriptionTypeId") or 0),
                                 "SUBSCRIBED" if item.get("value") else "NOT_SUBSCRIBED", "FORM",
                                 "CONSENT_WITH_NOTICE", item.get("text") or "")
    marketing.submissions.append({"formId": form_guid, "contactId": contact.id, "submittedAt": submitted_ms,
                                  "fields": data.get("fields"), "context": data.get("context") or {},
                                  "legalConsentOptions": data.get("legalConsentOptions")})
    return {"inlineMessage": INLINE_MESSAGE}


def _envelope(results: list[dict]) -> dict:
    now = state().clock.iso()
    return {"status": "COMPLETE", "results": results, "requestedAt": now, "startedAt": now, "completedAt": now}


def _subscriber(subscriber: str) -> str:
    email = subscriber.strip().lower()
    if not mk.EMAIL.match(email):
        raise HubSpotError(400, f"{subscriber} is not a valid email address", "VALIDATION_ERROR")
    return email


@blueprint.get("/communication-preferences/2026-03/definitions")
def definitions():
    return _envelope(state().subscription_definitions(g.portal_id))


@blueprint.get("/communication-preferences/2026-03/statuses/<subscriber>")
def statuses(subscriber):
    if request.args.get("channel", "EMAIL") != "EMAIL":
        raise HubSpotError(400, "channel must be EMAIL", "VALIDATION_ERROR")
    return _envelope(state().subscription_statuses(g.portal_id, _subscriber(subscriber)))


@blueprint.post("/communication-preferences/2026-03/statuses/<subscriber>")
def update_status(subscriber):
    data = body()
    if data.get("channel") != "EMAIL":
        raise HubSpotError(400, "Invalid input JSON: channel must be EMAIL", "VALIDATION_ERROR")
    if data.get("statusState") not in mk.STATUS_STATES:
        raise HubSpotError(400, f"Invalid input JSON: statusState must be one of {', '.join(mk.STATUS_STATES)}",
                           "VALIDATION_ERROR")
    if data.get("legalBasis") is not None and data["legalBasis"] not in mk.LEGAL_BASES:
        raise HubSpotError(400, f"Invalid input JSON: legalBasis {data['legalBasis']!r} is not valid",
                           "VALIDATION_ERROR")
    item = state().set_subscription(g.portal_id, _subscriber(subscriber), int(data.get("subscriptionId") or 0),
                                    data["statusState"], "API", data.get("legalBasis"),
                                    data.get("legalBasisExplanation") or "")
    return _envelope([item])
