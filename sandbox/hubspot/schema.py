"""HubSpot's standard object types and the default properties every portal starts with."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import HubSpotError


@dataclass(frozen=True)
class ObjectType:
    name: str            # path segment: contacts, companies, deals, products, line_items, orders, carts
    type_id: str         # 0-1, 0-2, ...
    singular: str        # webhook prefix: contact, company, deal, product, line_item, order, cart
    label: str           # upper-case name HubSpot uses in messages: CONTACT, DEAL, ...
    group: str           # default property group
    defaults: tuple[str, ...]  # properties returned when the caller asks for none
    modified_property: str = "hs_lastmodifieddate"
    created_property: str = "createdate"
    # Commerce objects: HubSpot's docs show no merge for them (strict: refused) and no legacy `order.*`
    # webhook types (generic `object.*` subscriptions only).
    commerce: bool = False


OBJECT_TYPES: tuple[ObjectType, ...] = (
    ObjectType("contacts", "0-1", "contact", "CONTACT", "contactinformation",
               ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
               modified_property="lastmodifieddate"),
    ObjectType("companies", "0-2", "company", "COMPANY", "companyinformation",
               ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name")),
    ObjectType("deals", "0-3", "deal", "DEAL", "dealinformation",
               ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
                "hs_object_id", "pipeline")),
    ObjectType("products", "0-7", "product", "PRODUCT", "productinformation",
               ("createdate", "description", "hs_lastmodifieddate", "hs_object_id", "name", "price")),
    # Search the CRM, default returned properties of line items:
    # https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm
    ObjectType("line_items", "0-8", "line_item", "LINE_ITEM", "lineiteminformation",
               ("amount", "createdate", "hs_lastmodifieddate", "hs_object_id", "price", "quantity")),
    # Orders 0-123 and carts 0-142 ("Object type IDs", developers.hubspot.com/docs/api-reference/legacy/crm/
    # understanding-the-crm); a GET without `properties` returns hs_createdate, hs_lastmodifieddate, hs_object_id
    # (orders and carts guides, "Retrieve orders" / "Retrieve carts").
    ObjectType("orders", "0-123", "order", "ORDER", "orderinformation",
               ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"), created_property="hs_createdate",
               commerce=True),
    ObjectType("carts", "0-142", "cart", "CART", "cartinformation",
               ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"), created_property="hs_createdate",
               commerce=True),
)

_ALIASES: dict[str, ObjectType] = {}
for _t in OBJECT_TYPES:
    for _alias in (_t.name, _t.type_id, _t.singular, _t.singular + "s"):
        _ALIASES[_alias] = _t
_ALIASES["line_item"] = _ALIASES["line_items"]


def object_type(name: str) -> ObjectType:
    try:
        return _ALIASES[name.lower()]
    except KeyError:
        raise HubSpotError(400, f"Unable to infer object type from: {name}", "VALIDATION_ERROR") from None


# (name, label, type, fieldType); system properties are maintained by the sandbox itself.
SYSTEM_PROPERTIES = ("hs_object_id", "createdate", "hs_createdate", "lastmodifieddate", "hs_lastmodifieddate",
                     "hs_merged_object_ids", "hs_additional_emails")
_COMMON = (
    ("hs_object_id", "Record ID", "number", "number"),
    ("createdate", "Create Date", "datetime", "date"),
    ("hs_lastmodifieddate", "Last Modified Date", "datetime", "date"),
    ("hs_merged_object_ids", "Merged Record IDs", "enumeration", "checkbox"),
)
_ADDRESS = (("name", "Address Customer Name"), ("street", "Street"), ("city", "City"), ("state", "State"),
            ("postal_code", "ZIP/Postal Code"), ("country", "Country"), ("phone", "Phone Number"))
_DEFAULTS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "contacts": (
        ("email", "Email", "string", "text"), ("firstname", "First Name", "string", "text"),
        ("hs_additional_emails", "Additional email addresses", "enumeration", "checkbox"),
        ("lastname", "Last Name", "string", "text"), ("phone", "Phone Number", "string", "text"),
        ("mobilephone", "Mobile Phone Number", "string", "text"), ("company", "Company Name", "string", "text"),
        ("address", "Street Address", "string", "text"), ("city", "City", "string", "text"),
        ("zip", "Postal Code", "string", "text"), ("country", "Country/Region", "string", "text"),
        ("lifecyclestage", "Lifecycle Stage", "enumeration", "radio"),
        ("lastmodifieddate", "Last Modified Date", "datetime", "date"),
    ),
    "companies": (
        ("name", "Company name", "string", "text"), ("domain", "Company Domain Name", "string", "text"),
        ("phone", "Phone Number", "string", "text"), ("address", "Street Address", "string", "text"),
        ("city", "City", "string", "text"), ("zip", "Postal Code", "string", "text"),
        ("country", "Country/Region", "string", "text"), ("website", "Website URL", "string", "text"),
        ("description", "Description", "string", "textarea"),
    ),
    "deals": (
        ("dealname", "Deal Name", "string", "text"), ("amount", "Amount", "number", "number"),
        ("pipeline", "Pipeline", "enumeration", "select"), ("dealstage", "Deal Stage", "enumeration", "radio"),
        ("closedate", "Close Date", "datetime", "date"),
        ("deal_currency_code", "Currency", "enumeration", "select"),
        ("description", "Deal Description", "string", "textarea"),
    ),
    "products": (
        ("name", "Name", "string", "text"), ("description", "Description", "string", "textarea"),
        ("price", "Unit price", "number", "number"), ("hs_sku", "SKU", "string", "text"),
        ("hs_cost_of_goods_sold", "Unit cost", "number", "number"), ("hs_url", "URL", "string", "text"),
        ("hs_images", "Image URL", "string", "text"),
    ),
    "line_items": (
        ("name", "Name", "string", "text"), ("description", "Description", "string", "textarea"),
        ("hs_product_id", "Product ID", "number", "number"), ("price", "Unit price", "number", "number"),
        ("quantity", "Quantity", "number", "number"), ("amount", "Net price", "number", "number"),
        ("hs_sku", "SKU", "string", "text"), ("discount", "Unit discount", "number", "number"),
        ("hs_line_item_currency_code", "Currency", "enumeration", "select"),
    ),
    # Orders: the properties the orders guide names (developers.hubspot.com/docs/api-reference/legacy/crm/objects/
    # orders/guide, "Order properties" and its examples), plus native order properties that third-party syncs of
    # real portals read and write (totals, billing address, payment status, external id and URL): HubSpot's
    # object-definition table could not be read. None of them is unique.
    "orders": (
        ("hs_order_name", "Name", "string", "text"), ("hs_currency_code", "Currency Code", "enumeration", "select"),
        ("hs_source_store", "Source Store", "string", "text"),
        ("hs_external_order_id", "Order ID", "string", "text"),
        ("hs_external_order_url", "External Order URL", "string", "text"),
        ("hs_external_order_status", "External Order Status", "string", "text"),
        ("hs_external_created_date", "External Created Date", "datetime", "date"),
        ("hs_fulfillment_status", "Fulfillment Status", "string", "text"),
        ("hs_payment_status", "Payment Status", "string", "text"),
        ("hs_pipeline", "Pipeline", "enumeration", "select"),
        ("hs_pipeline_stage", "Stage", "enumeration", "radio"),
        ("hs_total_price", "Total Price", "number", "number"), ("hs_subtotal_price", "Subtotal Price", "number", "number"),
        ("hs_order_discount", "Order Discount", "number", "number"), ("hs_tax", "Tax Price", "number", "number"),
        ("hs_shipping_cost", "Shipping Cost", "number", "number"),
        ("hs_discount_codes", "Discount Codes", "string", "text"), ("hs_tags", "Tags", "string", "text"),
        ("hs_order_note", "Notes", "string", "textarea"),
        ("hs_shipping_status_url", "Shipping Status URL", "string", "text"),
        ("hs_shipping_tracking_number", "Shipping Tracking Number", "string", "text"),
        *((f"hs_shipping_address_{part}", f"Shipping {label}", "string", "text") for part, label in _ADDRESS),
        *((f"hs_billing_address_{part}", f"Billing {label}", "string", "text") for part, label in _ADDRESS),
        ("hs_billing_address_email", "Billing Email", "string", "text"),
    ),
    # Carts: the carts guide's property table and create example (developers.hubspot.com/docs/api-reference/legacy/
    # crm/objects/carts/guide). `hs_cart_url` is the recovery URL an abandoned-cart email links to.
    "carts": (
        ("hs_cart_name", "Name", "string", "text"), ("hs_external_cart_id", "Cart ID", "string", "text"),
        ("hs_source_store", "Source Store", "string", "text"), ("hs_external_status", "Status", "string", "text"),
        ("hs_cart_url", "Cart Url", "string", "text"), ("hs_total_price", "Total Price", "number", "number"),
        ("hs_currency_code", "Currency Code", "enumeration", "select"),
        ("hs_cart_discount", "Cart Discount", "number", "number"), ("hs_tax", "Tax", "number", "number"),
        ("hs_shipping_cost", "Shipping Cost", "number", "number"), ("hs_tags", "Tags", "string", "text"),
    ),
}
# Unique by HubSpot's definition (the brief's HUBSPOT-FACTS lists products' hs_sku too).
UNIQUE_DEFAULTS = {("products", "hs_sku")}
LIFECYCLE_STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                    "customer", "evangelist", "other")

# Which fieldTypes HubSpot accepts for each property type.
FIELD_TYPES = {
    "string": {"text", "textarea", "file", "html", "phonenumber", "calculation_equation"},
    "number": {"number", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox", "calculation_equation"},
    "bool": {"booleancheckbox", "calculation_equation"},
}


def default_property_specs(type_name: str) -> list[tuple[str, str, str, str]]:
    created = object_type(type_name).created_property
    common = [(created, *spec[1:]) if spec[0] == "createdate" else spec for spec in _COMMON]
    return common + list(_DEFAULTS[type_name])
