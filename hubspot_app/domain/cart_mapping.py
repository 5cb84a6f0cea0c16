"""A Moulin checkout -> HubSpot cart properties. Pure: no I/O, every value a string (or absent).

A Moulin cart or checkout is an order record whose status is still `cart` or `checkout`; when it is paid the
same record moves on. So the cart's key is the order's key, and its life follows the record:

- open checkout: the cart carries the checkout's totals, currency, lines and recovery URL (`hs_cart_url`, what
  HubSpot's abandoned-cart email sends); it turns `abandoned` once the store's threshold has passed;
- paid (or further): the cart is closed as `converted` and, when HubSpot orders are on, associated with the order;
- cancelled before being paid: closed as `cancelled`.

A closed cart is a snapshot of the checkout: later changes of the order (shipped, refunded) are the order's,
not the cart's. Its content hash depends only on its key and how it closed, so it is written once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hubspot_app.domain.records import Customer, Order, OrderLine, OrderStatus
from hubspot_app.domain.cart_schema import ABANDONED, CANCELLED, CART_KEY, CONVERTED, OPEN
from hubspot_app.domain.content_hash import content_hash
from hubspot_app.domain.mapping import _clean, deal_name, line_item_properties, money, ms
from hubspot_app.domain.schema import LINE_KEY
from hubspot_app.domain.stages import abandons_at, is_open_checkout

_NOT_YET_PAID = {OrderStatus.CART, OrderStatus.CHECKOUT}


@dataclass(frozen=True)
class CartState:
    status: str  # cart_schema.CART_STATUSES
    abandoned_at: datetime | None = None  # set while abandoned: when the threshold passed

    @property
    def closed(self) -> bool:
        return self.status in (CONVERTED, CANCELLED)


def cart_state(order: Order, now: datetime, threshold: timedelta) -> CartState:
    if is_open_checkout(order):
        due = abandons_at(order, threshold)
        return CartState(ABANDONED, due) if now >= due else CartState(OPEN)
    if order.status in _NOT_YET_PAID or order.status is OrderStatus.CANCELLED:
        return CartState(CANCELLED)
    return CartState(CONVERTED)


def cart_line_key(order: Order, line: OrderLine) -> str:
    # "cart/" keeps a cart's line items apart from the deal's ("<store>:<order>:<line>") under the one unique
    # `moulin_line_key`: a line item has one parent. Store codes have no "/" (`moulin.stores.CODE`).
    return f"cart/{order.key}:{line.id}"


def open_cart_properties(order: Order, state: CartState, customer: Customer | None) -> dict[str, str]:
    return _clean({
        CART_KEY: order.key,
        "hs_cart_name": f"Cart {deal_name(order, customer)}",
        "hs_external_cart_id": order.id,
        "hs_source_store": order.store,
        "hs_external_status": order.status.value,
        "hs_cart_url": order.abandoned_checkout_url,
        "hs_total_price": money(order.total),
        "hs_currency_code": order.currency,
        "hs_cart_discount": money(order.discounts),
        "hs_tax": money(order.taxes),
        "hs_shipping_cost": money(order.shipping),
        "moulin_cart_status": state.status,
        "moulin_cart_abandoned_at": ms(state.abandoned_at),
        "moulin_order_number": order.number,
        "moulin_cart_recovered": "false",
    })


def closed_cart_properties(order: Order, state: CartState, *, was_abandoned: bool, now: datetime) -> dict[str, str]:
    """Only what closing changes: the rest of the cart stays the checkout as it was."""
    converted = state.status == CONVERTED
    return _clean({
        CART_KEY: order.key,
        "hs_external_status": order.status.value,
        "moulin_cart_status": state.status,
        "moulin_cart_converted_at": ms(now) if converted else None,
        "moulin_cart_recovered": "true" if converted and was_abandoned else "false",
    })


def closed_hash(order: Order, state: CartState) -> str:
    """The stored hash of a closed cart: its key and how it closed, nothing that moves afterwards."""
    return content_hash({CART_KEY: order.key, "closed": state.status})


def cart_line_properties(order: Order, line: OrderLine) -> dict[str, str]:
    return {**line_item_properties(order, line, hs_product_id=None), LINE_KEY: cart_line_key(order, line)}
