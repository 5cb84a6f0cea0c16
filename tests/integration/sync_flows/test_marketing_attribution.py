"""Checkout attribution end to end: sample store (tracked checkouts) -> sync -> secure form submission -> sandbox.

Issue 14 "Done when": a visitor with a history buys with its hutk -> the contact has the analytics source of that
history and one form submission; re-syncing the order submits nothing again; an invalid hutk gives a warning
and a synced order; history older than the setting is never submitted.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from hubspot_app.attribution.service import counts, setup_marketing, submit_pending
from hubspot_app.config import OPTIONAL_SCOPES
from hubspot_app.db.models import AttributionSubmission, Installation
from hubspot_app.domain.records import Customer, Order, parse_record
from hubspot_app.sync.backfill import backfill
from hubspot_app.sync.engine import setup_portal, sync_customer_orders
from hubspot_app.sync.reconcile import reconcile
from sandbox.hubspot.marketing import Visit

pytestmark = pytest.mark.db


def grant_optional_scopes(world) -> None:
    with world.app.extensions["moulin.db"].session() as session:
        session.scalar(select(Installation).where(Installation.portal_id == world.portal_id)).scopes = \
            " ".join(OPTIONAL_SCOPES)


def load_visitor_histories(world, store) -> dict[str, list[dict]]:
    """What HubSpot's tracking code saw on the shop's site, per cookie, recorded in the sandbox portal."""
    histories = store.visitor_histories()
    for hutk, visits in histories.items():
        world.state.record_visits(world.portal_id, hutk, [Visit(v["url"], v["at"], v["source"], v["drillDown1"])
                                                          for v in visits])
    return histories


def tracked_orders(store) -> list[tuple[Order, Customer]]:
    pairs = []
    for raw in store.iter_raw("orders"):
        order = parse_record(Order, raw)
        if isinstance(order, Order) and order.tracking and order.customer_id:
            customer = parse_record(Customer, store.get("customers", order.customer_id))
            if isinstance(customer, Customer) and customer.email:
                pairs.append((order, customer))
    return pairs


@pytest.fixture
def marketing_world(world, stores):
    store, server = stores(orders=400, seed=11, store_code="b2c",
                           start=datetime.now(timezone.utc) - timedelta(days=730))
    world.connect(store, server)
    grant_optional_scopes(world)
    world.run(setup_portal, world.portal_id)
    world.run(setup_marketing, world.portal_id)
    return world, store


def submissions(world) -> list[dict]:
    return world.state.marketing_of(world.portal_id).submissions


def test_a_tracked_checkout_gives_the_contact_its_source_and_one_submission(marketing_world):
    world, store = marketing_world
    [form] = world.state.marketing_of(world.portal_id).forms.values()
    assert form["name"] == "Moulin checkout"
    histories = load_visitor_histories(world, store)
    tracked = tracked_orders(store)
    assert tracked, "the sample store gives a share of recent orders a tracking context"

    world.run(backfill, world.portal_id)
    report = world.run(submit_pending, world.portal_id)

    assert report["submitted"] == len(tracked) and report["rejected"] == 0
    sent = submissions(world)
    assert sorted(s["context"]["hutk"] for s in sent) == sorted(o.tracking.hutk for o, _ in tracked)
    contacts = {c["properties"]["email"]: c["properties"] for c in world.objects("contacts")}
    for order, customer in tracked:
        first = min(histories[order.tracking.hutk], key=lambda v: v["at"])
        contact = contacts[customer.email]
        assert contact["hs_analytics_source"] == first["source"]
        assert contact["hs_analytics_first_url"] == first["url"]
        [submitted] = [s for s in sent if s["context"]["hutk"] == order.tracking.hutk
                       and s["fields"][0]["value"] == customer.email]
        assert submitted["context"]["pageUri"] == order.tracking.page_uri
        assert submitted["context"]["ipAddress"] == order.tracking.ip_address
    assert world.deals_by_key()  # the orders themselves synced as usual


def test_resyncing_retrying_and_reconciling_submit_nothing_again(marketing_world):
    world, store = marketing_world
    load_visitor_histories(world, store)
    world.run(backfill, world.portal_id)
    world.run(submit_pending, world.portal_id)
    first = len(submissions(world))
    assert first > 0

    order, customer = tracked_orders(store)[0]
    world.run(sync_customer_orders, world.portal_id, customer.email)  # the card's Refresh
    world.run(reconcile, world.portal_id)  # every order again
    world.run(backfill, world.portal_id)
    assert world.run(submit_pending, world.portal_id) == {"submitted": 0, "rejected": 0, "failed": 0}
    assert len(submissions(world)) == first
    with world.app.extensions["moulin.db"].session() as session:
        assert counts(session, world.portal_id) == {"submitted": first}


def test_an_invalid_hutk_is_a_warning_and_the_order_still_syncs(marketing_world):
    world, store = marketing_world
    order, customer = tracked_orders(store)[0]
    raw = store.get("orders", order.id)
    store.save("orders", {**raw, "tracking": {**raw["tracking"], "hutk": "not-a-hubspot-cookie"}})

    world.run(sync_customer_orders, world.portal_id, customer.email)
    report = world.run(submit_pending, world.portal_id)

    assert report["rejected"] == 1
    assert f"b2c:{order.id}" in world.deals_by_key()
    with world.app.extensions["moulin.db"].session() as session:
        row = session.scalar(select(AttributionSubmission).where(AttributionSubmission.order_id == order.id))
        assert row.state == "rejected" and "INVALID_HUTK" in row.reason
        assert row.payload is None  # the personal data it carried is not kept
    assert not [s for s in submissions(world) if s["context"].get("hutk") == "not-a-hubspot-cookie"]


def test_history_older_than_the_setting_is_never_submitted(marketing_world):
    world, store = marketing_world
    order, customer = tracked_orders(store)[0]
    raw = store.get("orders", order.id)
    old = (datetime.now(timezone.utc) - timedelta(days=45)).isoformat()
    store.save("orders", {**raw, "created_at": old})

    world.run(sync_customer_orders, world.portal_id, customer.email)
    world.run(submit_pending, world.portal_id)

    assert not [s for s in submissions(world) if s["context"]["hutk"] == order.tracking.hutk
                and s["fields"][0]["value"] == customer.email]
    assert f"b2c:{order.id}" in world.deals_by_key()
