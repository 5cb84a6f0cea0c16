"""Moulin order status -> deal stage key, the rules HubSpot e-commerce users expect.

Pure. Two inputs decide a stage: how far the order has *progressed* (its status, or
for a "partially_refunded" order its fulfilment and the stage it had already reached)
and its *refund state* (none, partial, full). `REFUND_RULES` combines them, for every
pair, in one table:

- a full refund is "refunded", whatever came before (a cancelled order refunded too);
- a partial refund keeps the progress (a shipped order stays shipped, a completed one
  completed; only the amount shrinks), and a cancelled order stays cancelled;
- an open cart or checkout left longer than the store's threshold (default 24 h) is
  "checkout abandoned"; paying it later moves it on like any other order.

A store may override the status -> stage table (`MoulinStore.stage_mapping`); the
refund and abandonment rules apply on top, whatever the table says.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Mapping

from hubspot_app.domain.records import Order, OrderStatus
from hubspot_app.domain.store_settings import StoreSettings

ABANDONED_AFTER = StoreSettings().abandon_after  # a store that never chose

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
# The order pipeline has the same stages; an order stage says in its metadata whether it is in progress ("OPEN") or
# complete ("CLOSED"), as the orders guide's example pipeline does (its Shipped, Cancelled, Refunded are closed):
# the shop's part is done once the goods left.
ORDER_CLOSED_STAGES = frozenset({"shipped", "completed", "cancelled", "refunded"})
STAGE_LABELS = {key: label for key, label, _ in STAGES}

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

# The order's progress, first to last: a partial refund never moves a deal back along it.
PROGRESS = ("checkout_pending", "checkout_completed", "processed", "ready_for_pickup", "shipped", "completed")

# A "partially_refunded" status hides how far the order had got: its fulfilment tells part of it.
# "fulfilled" means every item left the shop (Shopify's sense), not that the customer has it: shipped.
FULFILMENT_PROGRESS = {"fulfilled": "shipped", "shipped": "shipped", "delivered": "completed",
                       "ready": "ready_for_pickup", "ready_for_pickup": "ready_for_pickup", "partial": "processed"}

NO_REFUND, PARTIAL_REFUND, FULL_REFUND = "none", "partial", "full"
REFUND_STATES = (NO_REFUND, PARTIAL_REFUND, FULL_REFUND)

# (progress, refund state) -> stage, for every pair: the whole policy on one screen.
REFUND_RULES: dict[tuple[str, str], str] = {
    **{(progress, NO_REFUND): progress for progress in (*PROGRESS, "checkout_abandoned", "cancelled", "refunded")},
    **{(progress, PARTIAL_REFUND): progress for progress in (*PROGRESS, "checkout_abandoned", "cancelled")},
    ("refunded", PARTIAL_REFUND): "refunded",
    **{(progress, FULL_REFUND): "refunded"
       for progress in (*PROGRESS, "checkout_abandoned", "cancelled", "refunded")},
}

_OPEN_CHECKOUT = {OrderStatus.CART, OrderStatus.CHECKOUT}


def order_stage_state(key: str) -> str:
    return "CLOSED" if key in ORDER_CLOSED_STAGES else "OPEN"


def validate_mapping(mapping: Mapping[str, str]) -> list[str]:
    """Problems with a store's custom table, for the settings page; empty when fine."""
    statuses = {s.value for s in OrderStatus}
    problems = [f"unknown Moulin status {s!r}" for s in mapping if s not in statuses]
    problems += [f"unknown stage {k!r} for {s!r}" for s, k in mapping.items() if k not in STAGE_KEYS]
    return problems


def is_fully_refunded(order: Order) -> bool:
    return order.total > 0 and order.refunded_amount >= order.total


def refund_state(order: Order) -> str:
    if order.status is OrderStatus.REFUNDED or is_fully_refunded(order):
        return FULL_REFUND
    if order.status is OrderStatus.PARTIALLY_REFUNDED or order.refunded_amount > 0:
        return PARTIAL_REFUND
    return NO_REFUND


def is_open_checkout(order: Order) -> bool:
    return order.status in _OPEN_CHECKOUT and refund_state(order) == NO_REFUND


def abandons_at(order: Order, threshold: timedelta = ABANDONED_AFTER) -> datetime:
    return order.updated_at + threshold


def _furthest(*stages: str | None) -> str:
    known = [s for s in stages if s in PROGRESS]
    return max(known, key=PROGRESS.index) if known else "processed"


def progress_for(order: Order, now: datetime, table: Mapping[str, str], reached: str | None,
                 threshold: timedelta) -> str:
    """How far the order has got, refunds aside. `reached`: the stage its deal last had from us."""
    if order.status in _OPEN_CHECKOUT and now >= abandons_at(order, threshold):
        return "checkout_abandoned"
    if order.status is OrderStatus.PARTIALLY_REFUNDED:
        if order.cancelled_at is not None:
            return "cancelled"
        custom = table.get(OrderStatus.PARTIALLY_REFUNDED.value)
        return custom or _furthest(FULFILMENT_PROGRESS.get((order.fulfillment_status or "").lower()), reached)
    return table[order.status.value]


def stage_for(order: Order, now: datetime, mapping: Mapping[str, str] | None = None, *,
              reached: str | None = None, threshold: timedelta = ABANDONED_AFTER) -> str:
    table = {**DEFAULT_MAPPING, **{k: v for k, v in (mapping or {}).items() if v in STAGE_KEYS}}
    progress = progress_for(order, now, table, reached, threshold)
    return REFUND_RULES[(progress, refund_state(order))]


def net_amount(order: Order) -> Decimal:
    return max(order.total - order.refunded_amount, Decimal("0"))
