"""Pure rules of checkout attribution and consent (no I/O), and the import format's tracking columns."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from hubspot_app.domain.store_settings import StoreSettings
from hubspot_app.domain.attribution import StoreRules, eligible, legal_consent, submission
from hubspot_app.domain.consent import from_hubspot, from_moulin, is_newer
from hubspot_app.moulin.importer import read_order_export
from hubspot_app.domain.records import Customer, Order

NOW = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
ORDER = {"id": "1", "number": "B2C-1", "store": "b2c", "status": "paid", "currency": "EUR", "subtotal": "10.00",
         "total": "10.00", "created_at": (NOW - timedelta(days=2)).isoformat(), "updated_at": NOW.isoformat(),
         "tracking": {"hutk": "0123456789abcdef0123456789abcdef", "page_uri": "https://shop.example/merci",
                      "page_name": "Merci", "ip_address": "203.0.113.7"}}
CUSTOMER = {"id": "c1", "email": " Lea@Exemple.FR ", "first_name": "Léa", "created_at": NOW.isoformat(),
            "updated_at": NOW.isoformat(),
            "consent": {"marketing_email": "granted", "changed_at": NOW.isoformat(), "source": "checkout"}}


def test_only_recent_tracked_orders_of_customers_with_an_email_are_submitted():
    order, customer = Order(**ORDER), Customer(**CUSTOMER)
    assert eligible(order, customer, StoreRules(), NOW)
    assert not eligible(order, customer, StoreRules(enabled=False), NOW)
    assert not eligible(order, customer, StoreRules(max_age_days=1), NOW)  # older than the window
    assert not eligible(replace(order, tracking=None), customer, StoreRules(), NOW)
    assert not eligible(order, Customer(**{**CUSTOMER, "email": None}), StoreRules(), NOW)
    assert StoreRules.of(StoreSettings.of({"attribution": False, "attribution_max_age_days": 7})) == StoreRules(False, 7)


def test_the_submission_carries_the_cookie_the_page_and_the_contact():
    body = submission(Order(**ORDER), Customer(**CUSTOMER))
    assert body["context"] == {"hutk": "0123456789abcdef0123456789abcdef", "pageUri": "https://shop.example/merci",
                               "pageName": "Merci", "ipAddress": "203.0.113.7"}
    assert [(f["name"], f["value"]) for f in body["fields"]] == [("email", "lea@exemple.fr"), ("firstname", "Léa")]
    assert body["marketing_email"] == "granted"


def test_legal_consent_follows_the_shops_consent_and_needs_a_subscription_type():
    granted = legal_consent("granted", 1001)
    assert granted["consent"]["consentToProcess"] is True and granted["consent"]["text"]
    assert granted["consent"]["communications"][0] | {"text": ""} == {"value": True, "subscriptionTypeId": 1001,
                                                                       "text": ""}
    assert legal_consent("withdrawn", 1001)["consent"]["communications"][0]["value"] is False
    assert legal_consent("unknown", 1001) is None and legal_consent("granted", None) is None


def test_consent_changes_name_their_side_and_the_latest_wins():
    change = from_moulin(Customer(**CUSTOMER), "b2c")
    assert (change.status, change.source, change.from_hubspot) == ("granted", "moulin:b2c:checkout", False)
    echoed = from_moulin(Customer(**{**CUSTOMER, "consent": {**CUSTOMER["consent"], "source": "hubspot:API"}}), "b2c")
    assert echoed.source == "hubspot:API" and echoed.from_hubspot
    assert from_moulin(Customer(**{**CUSTOMER, "consent": {"marketing_email": "unknown"}}), "b2c") is None
    later = from_hubspot("lea@exemple.fr", "NOT_SUBSCRIBED", NOW + timedelta(minutes=1), "Unsubscribe link")
    assert later.status == "withdrawn" and is_newer(later, change.changed_at) and not is_newer(change, NOW)
    assert from_hubspot("lea@exemple.fr", "NOT_SPECIFIED", NOW, "x") is None


def test_csv_imports_carry_the_tracking_context(tmp_path):
    export = tmp_path / "orders.csv"
    export.write_text(
        "order_id,number,status,currency,subtotal,total,created_at,updated_at,line_id,line_title,line_quantity,"
        "line_unit_price,tracking_hutk,tracking_page_uri\n"
        "7,B2C-7,paid,EUR,9.80,9.80,2026-11-29T10:00:00+01:00,2026-11-29T10:00:00+01:00,7-1,Farine,1,9.80,"
        "0123456789abcdef0123456789abcdef,https://shop.example/merci\n", encoding="utf-8")
    [row] = list(read_order_export(export, "b2c"))
    assert row.record.tracking.hutk == "0123456789abcdef0123456789abcdef"
    assert row.record.tracking.page_uri == "https://shop.example/merci" and row.record.tracking.ip_address is None
