"""Forms, form submissions, visitor analytics and email subscriptions of one sandbox portal.

Sources (see the fidelity table in README.md):
- forms: developers.hubspot.com/docs/api-reference/marketing-forms-v3/guide (`POST /marketing/v3/forms/`, formType
  `hubspot`, `fieldGroups[].fields[]` with `objectTypeId`, `name`, `fieldType`);
- secure submission: developers.hubspot.com/docs/api-reference/legacy/marketing/forms/v3-legacy/submit-data-authenticated
  (`fields[{objectTypeId, name, value}]`, `context{hutk, pageUri, pageName, ipAddress}`, `legalConsentOptions`,
  answer `{inlineMessage}`; scope `forms`); its error types (`INVALID_EMAIL`, `INVALID_HUTK`, ...) as listed in the
  same page's error table and repeated by public clients;
- analytics: knowledge.hubspot.com/properties/understand-source-properties (Original source values and drill-downs;
  a form submission with the visitor's cookie ties the earlier visits to the contact, knowledge.hubspot.com/contacts/
  why-did-my-contacts-original-source-type-change);
- subscriptions: developers.hubspot.com/docs/api-reference/2026-03/communication-preferences/guide (definitions,
  `statuses/{subscriberIdString}` with `channel`, `statusState`, `subscriptionId`, `legalBasis`), contact properties
  `hs_email_optout_{subscriptionId}` (set by HubSpot per subscription type).
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from .errors import HubSpotError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# HubSpot's `hubspotutk` cookie value is a 32-character hex string.
HUTK = re.compile(r"^[0-9a-f]{32}$")
SOURCES = ("ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS", "OTHER_CAMPAIGNS",
           "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL")
STATUS_STATES = ("SUBSCRIBED", "NOT_SUBSCRIBED", "NOT_SPECIFIED")
LEGAL_BASES = ("LEGITIMATE_INTEREST_PQL", "LEGITIMATE_INTEREST_CLIENT", "PERFORMANCE_OF_CONTRACT",
               "CONSENT_WITH_NOTICE", "NON_GDPR", "PROCESS_AND_STORE", "LEGITIMATE_INTEREST_OTHER")


@dataclass
class Visit:
    url: str
    at_ms: int
    source: str  # one of SOURCES
    drill_down_1: str = ""


@dataclass
class Marketing:
    """What one portal holds beyond CRM records."""

    forms: dict[str, dict] = field(default_factory=dict)
    submissions: list[dict] = field(default_factory=list)
    visits: dict[str, list[Visit]] = field(default_factory=dict)  # hutk -> the visitor's tracked page views
    definitions: list[dict] = field(default_factory=list)
    statuses: dict[tuple[str, int], dict] = field(default_factory=dict)  # (email, subscription id) -> status


def form_error(http_status: int, message: str, error_type: str, detail: str) -> HubSpotError:
    """The submission endpoint's error body: a top-level message and `errors[{message, errorType}]`."""
    return HubSpotError(http_status, message, "VALIDATION_ERROR",
                        extra={"errors": [{"message": detail, "errorType": error_type}]})


def create_form(marketing: Marketing, data: dict, now_iso: str) -> dict:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise HubSpotError(400, "Invalid input JSON: name is required", "VALIDATION_ERROR")
    if data.get("formType", "hubspot") != "hubspot":
        raise HubSpotError(400, "Only forms of formType hubspot can be created through this API", "VALIDATION_ERROR")
    if any(f["name"] == name for f in marketing.forms.values() if not f["archived"]):
        raise HubSpotError(409, f"A form named {name!r} already exists", "CONFLICT")
    groups = data.get("fieldGroups") or []
    if not isinstance(groups, list):
        raise HubSpotError(400, "Invalid input JSON: fieldGroups must be a list", "VALIDATION_ERROR")
    form = {"id": str(uuid.uuid4()), "name": name, "formType": "hubspot", "createdAt": now_iso, "updatedAt": now_iso,
            "archived": False, "fieldGroups": groups, "configuration": data.get("configuration") or {},
            "displayOptions": data.get("displayOptions") or {},
            "legalConsentOptions": data.get("legalConsentOptions") or {"type": "none"}}
    marketing.forms[form["id"]] = form
    return form


def form_field_names(form: dict) -> set[str]:
    return {f.get("name") for g in form["fieldGroups"] for f in (g.get("fields") or [])}


@dataclass
class Submission:
    email: str
    properties: dict[str, str]
    hutk: str | None


def check_submission(form: dict, data: dict) -> Submission:
    """Validate a secure submission; raise the documented 400 for the first problem found."""
    fields = data.get("fields")
    if not isinstance(fields, list) or not fields:
        raise form_error(400, "The request is not valid", "REQUIRED_FIELD", "Error in 'fields'. fields are required")
    known = form_field_names(form)
    values: dict[str, str] = {}
    for item in fields:
        name = (item or {}).get("name")
        if name not in known and not data.get("skipValidation"):
            raise form_error(400, "The request is not valid", "FIELD_NOT_IN_FORM_DEFINITION",
                             f"Error in 'fields.{name}'. Field not in form definition")
        values[str(name)] = str(item.get("value", ""))
    email = values.get("email", "").strip().lower()
    if not EMAIL.match(email):
        raise form_error(400, "The request is not valid", "INVALID_EMAIL", "Error in 'fields.email'. Invalid email "
                                                                           "address")
    context = data.get("context") or {}
    hutk = context.get("hutk")
    if hutk is not None and not HUTK.match(str(hutk)):
        raise form_error(400, "The request is not valid", "INVALID_HUTK", "Error in 'context.hutk'. Invalid hutk")
    page_uri = context.get("pageUri")
    if page_uri is not None and not str(page_uri).startswith(("http://", "https://")):
        raise form_error(400, "The request is not valid", "INVALID_PAGE_URI", "Error in 'context.pageUri'. Invalid "
                                                                              "page URI")
    consent = (data.get("legalConsentOptions") or {}).get("consent")
    if consent is not None and consent.get("consentToProcess") and not consent.get("text"):
        raise form_error(400, "The request is not valid", "MISSING_PROCESSING_CONSENT_TEXT",
                         "Error in 'legalConsentOptions.consent.text'. Consent text is required")
    seen: set = set()
    for item in (consent or {}).get("communications") or []:
        if item.get("subscriptionTypeId") in seen:
            raise form_error(400, "The request is not valid", "DUPLICATE_SUBSCRIPTION_TYPE_ID",
                             "Error in 'legalConsentOptions.consent.communications'. Duplicate subscription type")
        seen.add(item.get("subscriptionTypeId"))
    return Submission(email, {k: v for k, v in values.items() if k != "email"}, str(hutk) if hutk else None)


def analytics_properties(visits: list[Visit], submitted_at_ms: int) -> dict[str, str]:
    """The contact's analytics properties once its visitor history is tied to it by a submission."""
    if not visits:
        return {"hs_analytics_source": "OFFLINE", "hs_analytics_source_data_1": "FORM"}
    ordered = sorted(visits, key=lambda v: v.at_ms)
    first, last = ordered[0], ordered[-1]
    return {"hs_analytics_source": first.source, "hs_analytics_source_data_1": first.drill_down_1,
            "hs_analytics_first_url": first.url, "hs_analytics_first_timestamp": str(first.at_ms),
            "hs_latest_source": last.source, "hs_analytics_num_page_views": str(len(ordered)),
            "hs_analytics_num_visits": str(len({v.at_ms // 1800000 for v in ordered})),
            "first_conversion_date": str(submitted_at_ms), "num_conversion_events": "1"}


def default_definitions(now_iso: str) -> list[dict]:
    return [{"id": "1001", "name": "Marketing Information", "description": "Marketing offers and updates.",
             "purpose": "Marketing", "communicationMethod": "Email", "isActive": True, "isDefault": True,
             "isInternal": False, "createdAt": now_iso, "updatedAt": now_iso},
            {"id": "1002", "name": "One to One", "description": "One to one emails.", "purpose": "Sales",
             "communicationMethod": "Email", "isActive": True, "isDefault": True, "isInternal": True,
             "createdAt": now_iso, "updatedAt": now_iso}]


def status_item(email: str, subscription: dict, status: dict | None, now_iso: str) -> dict:
    item = {"channel": "EMAIL", "subscriberIdString": email, "subscriptionId": int(subscription["id"]),
            "subscriptionName": subscription["name"], "status": (status or {}).get("status", "NOT_SPECIFIED"),
            "source": (status or {}).get("source", "Default"), "timestamp": (status or {}).get("timestamp", now_iso)}
    if status and status.get("legalBasis"):
        item["legalBasis"] = status["legalBasis"]
        item["legalBasisExplanation"] = status.get("legalBasisExplanation", "")
    return item
