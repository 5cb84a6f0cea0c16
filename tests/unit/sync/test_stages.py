from datetime import timedelta
from decimal import Decimal

import pytest

from hubspot_app.domain.records import OrderStatus
from hubspot_app.domain.store_settings import StoreSettings
from hubspot_app.domain.stages import (
    FULFILMENT_PROGRESS, PROGRESS, REFUND_RULES, REFUND_STATES, STAGE_KEYS, net_amount, stage_for,
    validate_mapping,
)

from .records import T0, order


@pytest.mark.parametrize("status,stage", [
    ("pending", "checkout_completed"), ("paid", "processed"), ("processing", "processed"),
    ("ready_for_pickup", "ready_for_pickup"), ("shipped", "shipped"), ("completed", "completed"),
    ("cancelled", "cancelled"), ("refunded", "refunded"), ("cart", "checkout_pending"),
])
def test_default_mapping(status, stage):
    assert stage_for(order(status=status), T0 + timedelta(hours=1)) == stage


@pytest.mark.parametrize("status", ["cart", "checkout"])
def test_checkout_older_than_24h_is_abandoned(status):
    o = order(status=status)
    assert stage_for(o, T0 + timedelta(hours=23, minutes=59)) == "checkout_pending"
    assert stage_for(o, T0 + timedelta(hours=24, seconds=1)) == "checkout_abandoned"


def test_a_paid_order_is_never_abandoned():
    assert stage_for(order(status="paid"), T0 + timedelta(days=30)) == "processed"


def test_full_refund_is_refunded_whatever_the_status():
    o = order(status="completed", total="20.00", refunded_amount=Decimal("20.00"))
    assert stage_for(o, T0) == "refunded"
    assert net_amount(o) == Decimal("0")


def test_partial_refund_keeps_progress_and_reduces_amount():
    o = order(status="partially_refunded", total="20.00", refunded_amount=Decimal("5.00"), fulfillment_status="shipped")
    assert stage_for(o, T0) == "shipped"
    assert net_amount(o) == Decimal("15.00")
    assert stage_for(order(status="partially_refunded", refunded_amount=Decimal("1")), T0) == "processed"


def test_store_mapping_overrides_defaults_and_ignores_unknown_stages():
    mapping = {"paid": "checkout_completed", "shipped": "no_such_stage"}
    assert stage_for(order(status="paid"), T0, mapping) == "checkout_completed"
    assert stage_for(order(status="shipped"), T0, mapping) == "shipped"
    # the refund rule stays on top of a custom table
    assert stage_for(order(status="paid", refunded_amount=Decimal("20.00")), T0, mapping) == "refunded"


def test_validate_mapping_names_problems():
    assert validate_mapping({"paid": "processed"}) == []
    problems = validate_mapping({"teleported": "processed", "paid": "nowhere"})
    assert any("teleported" in p for p in problems) and any("nowhere" in p for p in problems)
    assert "refunded" in STAGE_KEYS


# -- every combination of status x fulfilment x refund x cancellation x stage already reached -----------------
_REFUNDS = {"none": Decimal("0"), "partial": Decimal("5.00"), "full": Decimal("20.00")}
_FULFILMENTS = (None, *FULFILMENT_PROGRESS)
_REACHED = (None, *STAGE_KEYS)
_COMBINATIONS = [(status, fulfilment, refund, cancelled, reached)
                 for status in OrderStatus for fulfilment in _FULFILMENTS for refund in _REFUNDS
                 for cancelled in (False, True) for reached in _REACHED]


def _stage(status, fulfilment, refund, cancelled, reached, now=T0 + timedelta(hours=1)):
    o = order(status=status.value, fulfillment_status=fulfilment, refunded_amount=_REFUNDS[refund],
              cancelled_at=T0 if cancelled else None)
    return stage_for(o, now, reached=reached)


def test_the_refund_table_has_one_rule_for_every_pair():
    assert set(REFUND_RULES) == {(stage, refund) for stage in STAGE_KEYS for refund in REFUND_STATES}
    assert set(REFUND_RULES.values()) <= STAGE_KEYS


def _expected(status, fulfilment, refund, cancelled, reached):
    """The rules in words, for checking the table (not a second copy of it)."""
    if refund == "full" or status is OrderStatus.REFUNDED:
        return "refunded"  # money all back: refunded, also after a cancel
    if status is OrderStatus.CANCELLED or (status is OrderStatus.PARTIALLY_REFUNDED and cancelled):
        return "cancelled"  # a refund after a cancel never revives the order
    if status is OrderStatus.PARTIALLY_REFUNDED:
        # progress only from evidence (its fulfilment, the stage it had reached), never further, never back
        evidence = [s for s in (FULFILMENT_PROGRESS.get(fulfilment or ""), reached) if s in PROGRESS]
        return max(evidence, key=PROGRESS.index) if evidence else "processed"
    return stage_for(order(status=status.value), T0 + timedelta(hours=1))  # a partial refund keeps the stage


def test_every_combination_follows_the_rules():
    wrong = [(c, got, want) for c in _COMBINATIONS if (got := _stage(*c)) != (want := _expected(*c))]
    assert len(_COMBINATIONS) > 4000
    assert not wrong, f"{len(wrong)} combinations break the rules, e.g. {wrong[:3]}"


def test_shipped_then_partially_refunded_stays_shipped():
    # Moulin replaces "shipped" by "partially_refunded" and keeps fulfilment "fulfilled"
    assert _stage(OrderStatus.PARTIALLY_REFUNDED, "fulfilled", "partial", False, None) == "shipped"
    assert _stage(OrderStatus.PARTIALLY_REFUNDED, "fulfilled", "partial", False, "shipped") == "shipped"


def test_completed_then_partially_refunded_stays_completed():
    assert _stage(OrderStatus.PARTIALLY_REFUNDED, "fulfilled", "partial", False, "completed") == "completed"


def test_refunds_after_a_cancel():
    assert _stage(OrderStatus.PARTIALLY_REFUNDED, None, "partial", True, "cancelled") == "cancelled"
    assert _stage(OrderStatus.REFUNDED, None, "full", True, "cancelled") == "refunded"


def test_the_abandonment_threshold_is_the_stores():
    o = order(status="checkout")
    threshold = StoreSettings.of({"abandon_after_hours": 2}).abandon_after
    assert stage_for(o, T0 + timedelta(hours=1, minutes=59), threshold=threshold) == "checkout_pending"
    assert stage_for(o, T0 + timedelta(hours=2), threshold=threshold) == "checkout_abandoned"
    assert StoreSettings.of({}).abandon_after == timedelta(hours=24)
    # a recovered checkout that is paid moves on
    assert stage_for(order(status="paid"), T0 + timedelta(days=3), threshold=threshold) == "processed"
