"""What carts need in a portal: our cart properties and the association types we write. Pure data.

HubSpot's Cart object (`0-142`, path `carts`) is written only for stores whose target includes HubSpot orders
(store setting `target`: `orders` or `both`) and only when the portal granted the optional cart scopes
(`config.CART_SCOPES`). HubSpot's own cart properties (`hs_cart_url`, `hs_external_cart_id`, ...) need no
setup; ours below are created in the "moulin" group like the other objects' (`setup.ensure_setup`).

Sources: the carts guide, developers.hubspot.com/docs/api-reference/latest/crm/objects/carts/guide (scopes
`crm.objects.carts.read/write`, default properties, associations with contacts, line items and orders).
"""
from __future__ import annotations

from .schema import BOOL_OPTIONS, _date, _p

# Planned object types (`planner.Work`), sent to HubSpot as `planner.HUBSPOT_TYPE` says: carts by their type id
# (HubSpot documents the singular path `cart` and `0-142`, never `carts`: /work/wt/commerce-facts.md), a cart's
# own line items as HubSpot line items, planned apart from the deal's and the order's (one parent each).
CART_TYPE, CART_LINES = "carts", "cart_lines"
CART_TYPE_ID = "0-142"
ORDER_TYPE = "orders"  # the order sync's planned type: the cart -> order association's other end
CART_KEY = "moulin_cart_key"  # "<store>:<checkout id>", unique: the upsert key, so a retry never doubles a cart

# Where the checkout stands, as our enumeration (HubSpot's `hs_external_status` is free text for the shop's own
# word): workflows and reports filter on these values.
OPEN, ABANDONED, CONVERTED, CANCELLED = "open", "abandoned", "converted", "cancelled"
CART_STATUSES = (OPEN, ABANDONED, CONVERTED, CANCELLED)
_STATUS_OPTIONS = [{"label": label, "value": value, "display_order": i, "hidden": False}
                   for i, (value, label) in enumerate(((OPEN, "Open"), (ABANDONED, "Abandoned"),
                                                       (CONVERTED, "Converted to an order"),
                                                       (CANCELLED, "Cancelled")))]

CART_PROPERTIES: list[dict] = [
    _p(CART_KEY, "Moulin cart key", unique=True),
    _p("moulin_cart_status", "Cart status", "enumeration", "select", options=_STATUS_OPTIONS),
    _date("moulin_cart_abandoned_at", "Cart abandoned at"),
    _date("moulin_cart_converted_at", "Cart converted at"),
    # True when a cart that had been abandoned became an order: the abandoned-cart recovery report counts these.
    _p("moulin_cart_recovered", "Recovered after abandonment", "bool", "booleancheckbox", options=BOOL_OPTIONS),
    _p("moulin_order_number", "Moulin order number"),
]
