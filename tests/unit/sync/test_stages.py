from datetime import timedelta
from decimal import Decimal

import pytest

from hubspot_app.sync.stages import STAGE_KEYS, net_amount, stage_for, validate_mapping

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
