"""Which orders to submit as a checkout form, and the submission's body. Pure: no I/O.

Body shape: developers.hubspot.com/docs/api-reference/legacy/marketing/forms/v3-legacy/submit-data-authenticated
(`fields[{objectTypeId, name, value}]`, `context{hutk, pageUri, pageName, ipAddress}`,
`legalConsentOptions.consent{consentToProcess, text, communications[{value, subscriptionTypeId, text}]}`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hubspot_app.domain.records import Customer, Order
from hubspot_app.domain.store_settings import DEFAULT_ATTRIBUTION_DAYS, StoreSettings

CONTACT_TYPE_ID = "0-1"
FORM_NAME = "Moulin checkout"
# The form's fields: contact properties HubSpot knows on every account.
FORM_FIELDS = (("email", "Email", "email"), ("firstname", "First name", "single_line_text"),
               ("lastname", "Last name", "single_line_text"))
PROCESSING_TEXT = "I agree to let the shop store and process my personal data to fulfil my order."
MARKETING_TEXT = "I agree to receive marketing emails from the shop."


def form_fields() -> list[dict]:
    return [{"objectTypeId": CONTACT_TYPE_ID, "name": name, "label": label, "fieldType": field_type,
             "required": name == "email", "hidden": False} for name, label, field_type in FORM_FIELDS]


@dataclass(frozen=True)
class StoreRules:
    """A store's attribution settings (operator pages): on/off and how old an order may be."""

    enabled: bool = True
    max_age_days: int = DEFAULT_ATTRIBUTION_DAYS

    @classmethod
    def of(cls, settings: StoreSettings) -> "StoreRules":
        return cls(settings.attribution, settings.attribution_max_age_days)


def eligible(order: Order, customer: Customer | None, rules: StoreRules, now: datetime) -> bool:
    """Submit only recent checkouts: HubSpot dates a submission when it receives it, so an old order would
    show as a conversion today."""
    return (rules.enabled and order.tracking is not None and customer is not None and bool(customer.email)
            and order.created_at >= now - timedelta(days=rules.max_age_days))


def submission(order: Order, customer: Customer) -> dict:
    """What the submission will carry (kept until it is sent): fields, context, the customer's consent."""
    tracking = order.tracking
    fields = [{"objectTypeId": CONTACT_TYPE_ID, "name": "email", "value": customer.email}]
    for name, value in (("firstname", customer.first_name), ("lastname", customer.last_name)):
        if value:
            fields.append({"objectTypeId": CONTACT_TYPE_ID, "name": name, "value": value})
    context = {"hutk": tracking.hutk, "pageUri": tracking.page_uri, "pageName": tracking.page_name,
               "ipAddress": tracking.ip_address}
    consent = customer.consent.marketing_email if customer.consent else "unknown"
    return {"fields": fields, "context": {k: v for k, v in context.items() if v}, "marketing_email": consent}


def legal_consent(marketing_email: str, subscription_type_id: int | None) -> dict | None:
    """legalConsentOptions from the shop's consent; nothing when the shop does not know or no type is known."""
    if marketing_email == "unknown" or subscription_type_id is None:
        return None
    return {"consent": {"consentToProcess": True, "text": PROCESSING_TEXT,
                        "communications": [{"value": marketing_email == "granted",
                                            "subscriptionTypeId": subscription_type_id, "text": MARKETING_TEXT}]}}
