"""What setup creates in each portal: the "Moulin" property group, our custom properties, the pipeline.

Pure data. Bump `SETUP_VERSION` whenever this changes so every portal's setup
re-runs (it is idempotent: existing groups/properties are left alone).
"""
from __future__ import annotations

from hubspot_app.domain.cart_schema import CART_KEY, CART_STATUSES

SETUP_VERSION = 2  # 2: recovery URL, product type/vendor/variant options/discontinued
GROUP = {"name": "moulin", "label": "Moulin"}
PIPELINE_LABEL = "Moulin e-commerce"
OBJECT_TYPES = ("contacts", "companies", "deals", "products", "line_items")

# Unique properties we upsert by (line items have no native unique key, so they get one).
DEAL_KEY = "moulin_order_key"
# HubSpot orders are upserted by a property of ours too, of the same name and value ("store:order id"): HubSpot's
# `hs_external_order_id` is a plain, non-unique property (an upsert's idProperty must be unique), and two stores may
# share an order id. `hs_external_order_id` still gets Moulin's order id, for people and HubSpot's own reports.
ORDER_KEY = DEAL_KEY
COMPANY_KEY = "moulin_account_id"
LINE_KEY = "moulin_line_key"
PRODUCT_KEY = "hs_sku"  # HubSpot's own, already unique


# HubSpot requires options on bool properties.
BOOL_OPTIONS = [{"label": "Yes", "value": "true", "display_order": 0, "hidden": False},
                {"label": "No", "value": "false", "display_order": 1, "hidden": False}]


def _p(name, label, type_="string", field="text", unique=False, options=None):
    spec = {"name": name, "label": label, "type": type_, "field_type": field, "group_name": GROUP["name"]}
    if unique:
        spec["has_unique_value"] = True
    if options:
        spec["options"] = options
    return spec


def _options(pairs):
    return [{"label": label, "value": value, "display_order": i, "hidden": False}
            for i, (value, label) in enumerate(pairs)]


def _money(name, label):
    return _p(name, label, "number", "number")


def _date(name, label):
    return _p(name, label, "datetime", "date")


PROPERTIES: dict[str, list[dict]] = {
    "deals": [
        _p(DEAL_KEY, "Moulin order key", unique=True),
        _p("moulin_order_number", "Moulin order number"),
        _p("moulin_store", "Moulin store"),
        _p("moulin_status", "Moulin status"),
        _p("moulin_financial_status", "Financial status"),
        _p("moulin_fulfillment_status", "Fulfilment status"),
        _p("moulin_currency", "Order currency"),
        _money("moulin_subtotal", "Subtotal"),
        _money("moulin_discounts", "Discounts"),
        _money("moulin_taxes", "Taxes"),
        _money("moulin_shipping", "Shipping"),
        _money("moulin_total", "Order total"),
        _money("moulin_refunded_amount", "Refunded amount"),
        _p("moulin_pickup_point", "Pickup point"),
        _p("moulin_source", "Order source"),
        _p("moulin_landing_site", "Landing site"),
        _p("moulin_referring_site", "Referring site"),
        _p("moulin_cancel_reason", "Cancel reason"),
        _date("moulin_cancelled_at", "Cancelled at"),
        # The store's link back to the cart: a HubSpot workflow on "Checkout abandoned" emails it.
        _p("moulin_checkout_recovery_url", "Checkout recovery URL"),
    ],
    "contacts": [
        _p("moulin_customer_id", "Moulin customer id"),
        _p("moulin_accepts_marketing", "Accepts marketing", "bool", "booleancheckbox", options=BOOL_OPTIONS),
        _p("moulin_orders_count", "Moulin orders", "number", "number"),
        _money("moulin_lifetime_value", "Lifetime value"),
        _money("moulin_average_order_value", "Average order value"),
        _date("moulin_first_order_date", "First order date"),
        _date("moulin_last_order_date", "Last order date"),
        _p("moulin_last_pickup_point", "Last pickup point"),
        _p("moulin_skus_bought", "SKUs bought", "string", "textarea"),
        _p("moulin_categories_bought", "Categories bought", "string", "textarea"),
        _p("moulin_brands_bought", "Brands bought", "string", "textarea"),
    ],
    "companies": [
        _p(COMPANY_KEY, "Moulin account id", unique=True),
        _p("moulin_siret", "SIRET"),
        _p("moulin_vat_number", "VAT number"),
    ],
    "products": [
        _p("moulin_product_id", "Moulin product id"),
        _p("moulin_variant_id", "Moulin variant id"),
        _p("moulin_product_type", "Product type"),
        _p("moulin_vendor", "Vendor"),
        _p("moulin_variant_options", "Variant options"),
        _p("moulin_discontinued", "Discontinued in Moulin", "bool", "booleancheckbox", options=BOOL_OPTIONS),
    ],
    "line_items": [
        _p(LINE_KEY, "Moulin line key", unique=True),
    ],
    # HubSpot's native Order: its own properties carry the order (hs_order_name, totals, addresses, statuses);
    # ours add the key and what HubSpot has no property for.
    "orders": [
        _p(ORDER_KEY, "Moulin order key", unique=True),
        _p("moulin_status", "Moulin status"),
        _money("moulin_refunded_amount", "Refunded amount"),
        _p("moulin_pickup_point", "Pickup point"),
        _p("moulin_checkout_recovery_url", "Checkout recovery URL"),
    ],
    # HubSpot's Cart: its own properties carry the checkout (hs_cart_url, totals); ours add the key, where it stands
    # and when it turned abandoned or converted, for the abandoned-cart workflow and the recovery report.
    "carts": [
        _p(CART_KEY, "Moulin cart key", unique=True),
        _p("moulin_cart_status", "Cart status", "enumeration", "select", options=_options(CART_STATUSES)),
        _date("moulin_cart_abandoned_at", "Cart abandoned at"),
        _date("moulin_cart_converted_at", "Cart converted at"),
        # An abandoned cart that became an order: the recovery report counts these.
        _p("moulin_cart_recovered", "Recovered after abandonment", "bool", "booleancheckbox", options=BOOL_OPTIONS),
        _p("moulin_order_number", "Moulin order number"),
    ],
}
# Made only in portals that granted the order scopes (`config.ORDER_SCOPES`), with the order pipeline.
ORDER_OBJECT_TYPES = ("orders",)
# Made only in portals that granted the cart scopes too (`config.CART_SCOPES`).
CART_OBJECT_TYPES = ("carts",)
