"""End to end, for each target a store can choose (deals, HubSpot orders, both): a first import, then a shop's life
played through the sample store's admin API (an edit, refunds, a deletion, a checkout abandoned then paid), each
followed by the sync as it runs in production (poll, the scheduled abandonment check), and HubSpot read back from
the sandbox after every step: one record per Moulin order and target, never a duplicate, the right stages."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from hubspot_app.db.models import PortalSetup
from hubspot_app.domain.records import OrderStatus
from hubspot_app.jobs import sync_tasks as tasks

from .carts_support import CartShop, cart_shop  # noqa: F401 (fixture)

pytestmark = pytest.mark.db
OPEN = {OrderStatus.CART, OrderStatus.CHECKOUT}


class Target:
    """HubSpot's side of one store, read back: deals and orders by their key, with their stage keys."""

    def __init__(self, shop: CartShop, target: str):
        self.shop, self.deals_on, self.orders_on = shop, target in ("deals", "both"), target in ("orders", "both")

    def _setup(self) -> PortalSetup:
        with self.shop.world.app.extensions["moulin.db"].session() as session:
            setup = session.scalar(select(PortalSetup).where(PortalSetup.portal_id == self.shop.world.portal_id))
            session.expunge(setup)
            return setup

    def _by_key(self, object_type: str) -> dict[str, dict]:
        records = self.shop.world.objects(object_type)
        keys = Counter(r["properties"].get("moulin_order_key") for r in records)
        assert not [k for k, n in keys.items() if n > 1], f"duplicate {object_type}: {keys}"
        return {r["properties"]["moulin_order_key"]: r for r in records}

    def stages(self) -> dict[str, dict[str, str]]:
        """target -> order key -> stage key, for each target the store writes; asserts there is no duplicate."""
        setup, found = self._setup(), {}
        if self.deals_on:
            names = {stage_id: key for key, stage_id in setup.stage_ids.items()}
            found["deals"] = {k: names[d["properties"]["dealstage"]] for k, d in self._by_key("deals").items()}
        if self.orders_on:
            names = {stage_id: key for key, stage_id in (setup.order_stage_ids or {}).items()}
            found["orders"] = {k: names[o["properties"]["hs_pipeline_stage"]] for k, o in self._by_key("orders").items()}
        return found

    def expect(self, stages: dict[str, dict[str, str]]) -> None:
        """Every live Moulin order has one record per target, and nothing else is there."""
        live = {o.key for o in self.shop.store.live_orders()}
        assert set(stages) == ({"deals"} if self.deals_on else set()) | ({"orders"} if self.orders_on else set())
        for found in stages.values():
            assert set(found) == live
        if not self.deals_on:
            assert self.shop.world.objects("deals") == []
        if not self.orders_on:
            assert self.shop.world.objects("orders") == [] and self.shop.carts() == {}

    def stage_of(self, key: str) -> set[str]:
        return {found[key] for found in self.stages().values()}

    def line_count(self, key: str) -> set[int]:
        counts = set()
        if self.deals_on:
            deal = self._by_key("deals")[key]
            counts.add(len(self.shop.world.associations("deals", deal["id"], "line_items")))
        if self.orders_on:
            order = self._by_key("orders")[key]
            counts.add(len(self.shop.world.associations("orders", order["id"], "line_items")))
        return counts


@pytest.mark.parametrize("target", ["deals", "orders", "both"])
def test_a_shops_life_on_each_target(cart_shop, target):
    shop = cart_shop(target)
    hubspot = Target(shop, target)
    hubspot.expect(hubspot.stages())  # the first import: every order once per target
    assert shop.carts() == {} or hubspot.orders_on
    assert shop.world.open_errors() == []

    # an edit: a line added to a paid order reaches every target's line items
    edited = shop.checkout_candidate()
    shop.admin("POST", f"/orders/{edited.id}", action="add_line", quantity=1)
    shop.poll()
    assert hubspot.line_count(edited.key) == {len(shop.order(edited.id).lines)}

    # refunds: part of it keeps the stage, all of it is "refunded"
    stage = hubspot.stage_of(edited.key)
    shop.admin("POST", f"/orders/{edited.id}", action="partial_refund", amount="1.00")
    shop.poll()
    assert hubspot.stage_of(edited.key) == stage
    shop.admin("POST", f"/orders/{edited.id}", action="refund")
    shop.poll()
    assert hubspot.stage_of(edited.key) == {"refunded"}

    # a deletion: gone from every target, and only that order
    deleted = next(o for o in shop.store.live_orders() if o.key != edited.key and o.status not in OPEN)
    shop.admin("DELETE", f"/orders/{deleted.id}")
    shop.poll()
    stages = hubspot.stages()
    hubspot.expect(stages)
    assert all(deleted.key not in found for found in stages.values())

    # a checkout: pending (a cart with its recovery URL when orders go to HubSpot), abandoned on time, then paid
    checkout = next(o for o in shop.store.live_orders() if o.status is OrderStatus.PAID and o.key != edited.key
                    and o.customer_id and len(o.lines) > 0)
    shop.admin("POST", f"/orders/{checkout.id}", action="open_checkout")
    shop.poll()
    assert hubspot.stage_of(checkout.key) == {"checkout_pending"}
    url = shop.order(checkout.id).abandoned_checkout_url
    if hubspot.orders_on:
        assert shop.cart(checkout.id)["properties"]["hs_cart_url"] == url
    shop.clock.advance(timedelta(hours=24, minutes=2).total_seconds())
    shop.world.run(tasks.abandon_due_all)
    assert hubspot.stage_of(checkout.key) == {"checkout_abandoned"}
    if hubspot.orders_on:
        assert shop.cart(checkout.id)["properties"]["moulin_cart_status"] == "abandoned"
    shop.admin("POST", f"/orders/{checkout.id}", action="set_status", status="paid")
    shop.poll()
    assert hubspot.stage_of(checkout.key) == {"processed"}
    if hubspot.orders_on:
        cart = shop.cart(checkout.id)
        assert cart["properties"]["moulin_cart_status"] == "converted"
        assert shop.linked(cart, "orders") == [hubspot._by_key("orders")[checkout.key]["id"]]

    hubspot.expect(hubspot.stages())  # still one record per order and target
    assert shop.world.open_errors() == []
