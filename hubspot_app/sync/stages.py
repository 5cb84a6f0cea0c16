"""Moulin order status -> deal stage key, the rules HubSpot e-commerce users expect.

Pure. A store may override the status -> stage table (`MoulinStore.stage_mapping`);
three rules then apply on top, whatever the table says: a cart or checkout left
more than 24 h becomes "checkout abandoned"; a full refund is "refunded"; a
partial refund keeps the stage of the order's progress (the amount shrinks, the
refunded amount is recorded) instead of being flattened into cancelled.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Mapping

from ..moulin.records import Order, OrderStatus

ABANDONED_AFTER = timedelta(hours=24)

# (key, label, probability): the "Moulin e-commerce" pipeline, in display order.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("checkout_abandoned", "Checkout abandoned", "0.1"),
    ("checkout_pending", "Checkout pending", "0.3"),
    ("checkout_completed", "Checkout completed", "0.6"),
    ("processed", "Processed", "0.8"),
    ("ready_for_pickup", "Ready for pickup", "0.9"),
    ("shipped", "Shipped", "0.95"),
    ("completed", "Completed", "1.0"),
    ("cancelled", "Cancelled", "0.0"),
    ("refunded", "Refunded", "0.0"),
)
STAGE_KEYS = frozenset(key for key, _, _ in STAGES)

DEFAULT_MAPPING: dict[str, str] = {
    OrderStatus.CART.value: "checkout_pending",
    OrderStatus.CHECKOUT.value: "checkout_pending",
    OrderStatus.PENDING.value: "checkout_completed",
    OrderStatus.PAID.value: "processed",
    OrderStatus.PROCESSING.value: "processed",
    OrderStatus.READY_FOR_PICKUP.value: "ready_for_pickup",
    OrderStatus.SHIPPED.value: "shipped",
    OrderStatus.COMPLETED.value: "completed",
    OrderStatus.CANCELLED.value: "cancelled",
    OrderStatus.REFUNDED.value: "refunded",
}

# A partial refund says nothing about progress: read it from the fulfilment status.
_FULFILMENT_STAGE = {"fulfilled": "completed", "delivered": "completed", "shipped": "shipped",
                     "partial": "processed", "ready_for_pickup": "ready_for_pickup"}

_OPEN_CHECKOUT = {OrderStatus.CART, OrderStatus.CHECKOUT}


def validate_mapping(mapping: Mapping[str, str]) -> list[str]:
    """Problems with a store's custom table, for the settings page; empty when fine."""
    statuses = {s.value for s in OrderStatus}
    problems = [f"unknown Moulin status {s!r}" for s in mapping if s not in statuses]
    problems += [f"unknown stage {k!r} for {s!r}" for s, k in mapping.items() if k not in STAGE_KEYS]
    return problems


def is_fully_refunded(order: Order) -> bool:
    return order.total > 0 and order.refunded_amount >= order.total


def stage_for(order: Order, now: datetime, mapping: Mapping[str, str] | None = None) -> str:
    table = {**DEFAULT_MAPPING, **{k: v for k, v in (mapping or {}).items() if v in STAGE_KEYS}}
    if is_fully_refunded(order) or order.status is OrderStatus.REFUNDED:
        return "refunded"
    if order.status in _OPEN_CHECKOUT and now - order.updated_at > ABANDONED_AFTER:
        return "checkout_abandoned"
    if order.status is OrderStatus.PARTIALLY_REFUNDED:
        custom = table.get(OrderStatus.PARTIALLY_REFUNDED.value)
        return custom or _FULFILMENT_STAGE.get((order.fulfillment_status or "").lower(), "processed")
    return table[order.status.value]


def net_amount(order: Order) -> Decimal:
    return max(order.total - order.refunded_amount, Decimal("0"))
