"""Issue 11, finding 10: the card shows the stage a person moved a deal to in HubSpot, beside the Moulin status."""
from __future__ import annotations

import pytest

from hubspot_app.card.read_model import PageRequest, contact_orders

from .test_webhooks_contract import Hooked, _stage_ids, hooked  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.db


def _card_order(hooked: Hooked, order) -> dict:
    contact_id, _ = hooked.link("contact", hooked.email_of(order))
    with hooked.world.app.extensions["moulin.db"].session() as session:
        page = contact_orders(session, hooked.portal_id, contact_id, PageRequest(1, 50))
    return next(o for o in page["orders"] if o["id"] == order.key)


def test_the_card_shows_the_stage_a_person_set_until_moulin_sets_it_again(hooked):
    order = hooked.orders_of_distinct_customers(1)[0]
    assert _card_order(hooked, order)["hubspotStage"] is None  # nobody moved it
    deal = hooked.world.deals_by_key()[order.key]
    ids = _stage_ids(hooked)
    person_stage = ids["checkout_abandoned"]
    assert deal["properties"]["dealstage"] != person_stage
    hooked.world.state.user_update(hooked.portal_id, "deals", deal["id"], {"dealstage": person_stage})
    hooked.flush()

    shown = _card_order(hooked, order)
    assert shown["hubspotStage"] == "Checkout abandoned"
    assert shown["status"] == order.status.value  # Moulin's status stays beside it

    hooked.order_changes(order)  # Moulin owns the stage (the default): its next write puts Moulin's back
    assert hooked.world.deals_by_key()[order.key]["properties"]["dealstage"] != person_stage
    assert _card_order(hooked, order)["hubspotStage"] is None


def test_when_hubspot_owns_the_stage_the_card_keeps_showing_it(hooked):
    order = hooked.orders_of_distinct_customers(1)[0]
    hooked.settings(stage_source="hubspot")
    deal = hooked.world.deals_by_key()[order.key]
    cancelled = _stage_ids(hooked)["cancelled"]
    hooked.world.state.user_update(hooked.portal_id, "deals", deal["id"], {"dealstage": cancelled})
    hooked.flush()
    hooked.order_changes(order)
    assert _card_order(hooked, order)["hubspotStage"] == "Cancelled"
