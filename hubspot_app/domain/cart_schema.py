"""Carts' names: the planned object types, HubSpot's type id, our unique key and the cart statuses. Pure data.

HubSpot's Cart object (`0-142`) is written only for stores whose target includes HubSpot orders (store setting
`target`: `orders` or `both`) and only when the portal granted the optional cart scopes (`config.CART_SCOPES`).
HubSpot's own cart properties (`hs_cart_url`, `hs_external_cart_id`, ...) need no setup; ours are in
`schema.PROPERTIES["carts"]`, created by setup in the "moulin" group like the other objects'.

Sources: /work/wt/commerce-facts.md, from the carts guide
(developers.hubspot.com/docs/api-reference/latest/crm/objects/carts/guide: scopes, default properties, associations).
"""
from __future__ import annotations

# Planned object types (`planner.Work`), sent to HubSpot as `planner.HUBSPOT_TYPE` says: carts by their type id
# (HubSpot documents the singular path `cart` and `0-142`, never `carts`), a cart's own line items as HubSpot line
# items, planned apart from the deal's and the order's (a line item has one parent).
CART_TYPE, CART_LINES = "carts", "cart_lines"
CART_TYPE_ID = "0-142"
ORDER_TYPE = "orders"  # the order sync's planned type: the cart -> order association's other end
CART_KEY = "moulin_cart_key"  # "<store>:<checkout id>", unique: the upsert key, so a retry never doubles a cart

# Where the checkout stands, as our enumeration (HubSpot's `hs_external_status` gets the shop's own word, free text):
# workflows and reports filter on these values.
OPEN, ABANDONED, CONVERTED, CANCELLED = "open", "abandoned", "converted", "cancelled"
CART_STATUSES = ((OPEN, "Open"), (ABANDONED, "Abandoned"), (CONVERTED, "Converted to an order"),
                 (CANCELLED, "Cancelled"))

# HUBSPOT_DEFINED association type ids (/work/wt/commerce-facts.md, from HubSpot's association type id table,
# developers.hubspot.com/docs/api-reference/legacy/crm/associations/associate-records/guide): cart -> contact 586,
# line item -> cart 591 (the inverse of cart -> line item 590), cart -> order 592. HubSpot lists no cart -> company.
CART_CONTACT = (CART_TYPE, "contacts", 586)
LINE_ITEM_CART = (CART_LINES, CART_TYPE, 591)
CART_ORDER = (CART_TYPE, ORDER_TYPE, 592)
CART_ASSOCIATIONS = (CART_CONTACT, LINE_ITEM_CART, CART_ORDER)
