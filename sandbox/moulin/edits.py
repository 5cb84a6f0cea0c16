"""Changes the sample store can make to orders: admin actions and the scripted timeline (`tick`)."""
from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING

from .catalogue import PRODUCTS
from .formats import iso, money
from .orders import FINANCIAL, OPEN_CHECKOUT, STATUS_WEIGHTS, make_line, order_totals

if TYPE_CHECKING:
    from .store import SampleStore

STATUSES = tuple(s for s, _ in STATUS_WEIGHTS)


class EditError(ValueError):
    """The action cannot apply (unknown action, bad argument); the admin endpoint answers 400."""


def _retotal(order: dict) -> None:
    order.update(order_totals(order["lines"], Decimal(order.get("shipping") or "0")))


def _add_line(store: "SampleStore", order: dict, args: dict) -> None:
    p = int(args.get("product", len(order["lines"]) % len(PRODUCTS)))
    if not 0 <= p < len(PRODUCTS):
        raise EditError(f"product must be 0..{len(PRODUCTS) - 1}")
    product = store.gen.product(p)
    quantity = int(args.get("quantity", 1))
    n = max((int(l["id"].rsplit("-l", 1)[-1]) for l in order["lines"] if "-l" in l["id"]), default=-1) + 1
    order["lines"].append(make_line(order["id"], n, product, product["variants"][0], quantity, Decimal(0)))
    _retotal(order)


def _remove_line(store, order: dict, args: dict) -> None:
    line_id = args.get("line_id") or (order["lines"][-1]["id"] if order["lines"] else None)
    kept = [l for l in order["lines"] if l["id"] != line_id]
    if line_id is None or len(kept) == len(order["lines"]):
        raise EditError(f"order {order['id']} has no line {line_id!r}")
    order["lines"] = kept
    _retotal(order)


def _refund(store, order: dict, args: dict) -> None:
    order.update(status="refunded", financial_status="refunded", refunded_amount=order["total"])


def _partial_refund(store, order: dict, args: dict) -> None:
    total = Decimal(order["total"])
    amount = Decimal(str(args.get("amount", total / 4)))
    refunded = Decimal(order.get("refunded_amount") or "0") + amount
    if amount <= 0 or refunded > total:
        raise EditError(f"refund amount must be positive and at most the total {total}")
    full = refunded == total
    order.update(status="refunded" if full else "partially_refunded",
                 financial_status="refunded" if full else "partially_refunded", refunded_amount=money(refunded))


def _cancel(store: "SampleStore", order: dict, args: dict) -> None:
    order.update(status="cancelled", financial_status="voided", cancelled_at=iso(store.clock_us + 1_000_000),
                 cancel_reason=args.get("reason", "customer"))


def _set_status(store, order: dict, args: dict) -> None:
    status = args.get("status")
    if status not in STATUSES:
        raise EditError(f"status must be one of {', '.join(STATUSES)}")
    order.update(status=status, financial_status=FINANCIAL.get(status, "paid"))


def _open_checkout(store: "SampleStore", order: dict, args: dict) -> None:
    """Back to an unpaid checkout, with the cart link a recovery email would carry."""
    order.update(status="checkout", financial_status=None, fulfillment_status=None,
                 cart_token=order.get("cart_token") or f"ct_{store.store_code}_{order['id']}",
                 abandoned_checkout_url=f"https://boutique.moulin.example/{store.store_code}/checkout/{order['id']}")


ACTIONS = {"add_line": _add_line, "remove_line": _remove_line, "refund": _refund,
           "partial_refund": _partial_refund, "cancel": _cancel, "set_status": _set_status,
           "open_checkout": _open_checkout}


def age_checkout(store: "SampleStore", order_id: str, hours: float) -> dict | None:
    """Move an open checkout's last activity `hours` back, as if the customer had left it that long ago.

    No push event: nothing happened in the shop, which is the point. The record is listed as changed
    (`updated_since` sees it), so the app's next poll or scheduled check reads its new age.
    """
    order = store.get("orders", order_id)
    if order is None:
        return None
    if order.get("status") not in OPEN_CHECKOUT:
        raise EditError(f"order {order_id} is {order.get('status')!r}, not an open cart or checkout")
    if not isinstance(hours, (int, float)) or hours <= 0:
        raise EditError("hours must be a positive number")
    return store.backdate("orders", order, hours * 3600)


def apply_order_action(store: "SampleStore", order_id: str, args: dict) -> dict | None:
    """Apply one action to an order; None when the order does not exist (or is deleted)."""
    action = ACTIONS.get(args.get("action"))
    if action is None:
        raise EditError(f"action must be one of {', '.join(ACTIONS)}")
    order = store.get("orders", order_id)
    if order is None:
        return None
    if not isinstance(order.get("lines"), list):
        raise EditError(f"order {order_id} has no usable lines")
    try:
        action(store, order, args)
    except (TypeError, ArithmeticError) as error:
        raise EditError(f"bad argument for {args['action']}: {error}") from None
    return store.save("orders", order)


def new_order(store: "SampleStore", customer_id: str | None, lines: int) -> dict:
    orders = store.gen.collections["orders"]
    number = orders.count + sum(1 for rid in store.overlays["orders"].edits if rid.startswith("new_"))
    order = store.gen.order(number % max(orders.count, 1)) if orders.count else {}
    order.update(id=f"new_{number}", number=f"{store.store_code.upper()}-{100000 + number}", status="pending",
                 financial_status="pending", fulfillment_status=None, currency="EUR", customer_id=customer_id,
                 company_id=None, created_at=iso(store.clock_us), cancelled_at=None, cancel_reason=None,
                 refunded_amount="0.00", shipping="0.00", lines=[], cart_token=None, abandoned_checkout_url=None)
    for _ in range(lines):
        _add_line(store, order, {})
    return order


def tick(store: "SampleStore", edits: int = 5) -> list[dict]:
    """One step of a scripted timeline: `edits` random changes, reproducible from (seed, tick number)."""
    store.ticks += 1
    rng = random.Random(f"{store.gen.seed}:tick:{store.ticks}")
    count = store.gen.collections["orders"].count
    changes = []
    for _ in range(edits):
        order_id = store.gen.collections["orders"].id_of(rng.randrange(count)) if count else None
        if order_id is None or store.get("orders", order_id) is None:
            continue
        roll = rng.random()
        if roll < 0.05:
            store.delete("orders", order_id)
            changes.append({"order": order_id, "action": "delete"})
            continue
        action = rng.choice(("add_line", "remove_line", "refund", "partial_refund", "cancel", "set_status"))
        args = {"action": action, "status": rng.choice(STATUSES)}
        try:
            if apply_order_action(store, order_id, args) is not None:
                changes.append({"order": order_id, "action": action})
        except EditError:
            continue  # e.g. removing the only line of a bad record: the timeline just moves on
    return changes
