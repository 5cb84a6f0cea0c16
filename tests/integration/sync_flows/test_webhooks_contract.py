"""The sync honours what people did in HubSpot (docs/webhooks.md, contract): people act in the HubSpot sandbox,
its webhook delivery posts signed events to the app served on loopback, Moulin changes in the sample store,
and the next sync must respect the contract."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from hubspot_app.db.models import CardOrder, MoulinStore, ObjectLink
from hubspot_app.db.models.sync import PortalSetup
from hubspot_app.db.models.webhooks import PendingAssociation
from hubspot_app.sync.backfill import backfill, poll
from hubspot_app.sync.engine import sync_customer_orders
from hubspot_app.sync.reconcile import reconcile
from hubspot_app.domain.mapping import line_key
from hubspot_app.domain.stages import stage_for
from sandbox.hubspot.webhook_delivery import WebhookDelivery
from sandbox.moulin.edits import apply_order_action
from tests.webhook_support import APP_ID, SECRET

from .conftest import World, installed_on_loopback

pytestmark = pytest.mark.db


@dataclass
class Hooked:
    world: World
    store: object
    delivery: WebhookDelivery

    @property
    def portal_id(self):
        return self.world.portal_id

    def flush(self):
        assert self.delivery.flush(), self.delivery.log

    def link(self, kind, key):
        with self.world.app.extensions["moulin.db"].session() as session:
            row = session.scalar(select(ObjectLink).where(ObjectLink.portal_id == self.portal_id,
                                                          ObjectLink.kind == kind, ObjectLink.source_key == key))
            return (row.hubspot_id, row.state) if row else None

    def card(self, order):
        with self.world.app.extensions["moulin.db"].session() as session:
            row = session.scalar(select(CardOrder).where(CardOrder.portal_id == self.portal_id,
                                                         CardOrder.order_id == order.id))
            return row.contact_email, row.hubspot_contact_id, row.hubspot_deal_id

    def settings(self, **settings):
        with self.world.app.extensions["moulin.db"].session() as session:
            session.scalar(select(MoulinStore).where(MoulinStore.portal_id == self.portal_id)).settings = settings

    def email_of(self, order):
        customer = self.store.get("customers", order.customer_id or "") or {}
        return (customer.get("email") or "").strip().lower()

    def orders_of_distinct_customers(self, n):
        found, seen = [], set()
        for order in self.store.live_orders():
            email = self.email_of(order)
            if email and email not in seen and order.lines and order.status.value in ("completed", "shipped"):
                found.append(order)
                seen.add(email)
        assert len(found) >= n
        return found[:n]

    def contacts_with(self, email):
        """Live contacts that hold this email, as primary or additional email."""
        return [c for c in self.world.objects("contacts") if email == c["properties"].get("email")
                or email in (c["properties"].get("hs_additional_emails") or "").split(";")]

    def deal_contacts(self, deal_id):
        return self.world.associations("deals", deal_id, "contacts")

    def order_changes(self, order, amount="1.00"):
        """An order update in Moulin that does not touch its customer, then the 5-minute poll."""
        apply_order_action(self.store, order.id, {"action": "partial_refund", "amount": amount})
        self.world.run(poll, self.portal_id)


@pytest.fixture
def hooked(make_config, stores):
    with installed_on_loopback(make_config) as (world, hook_url):
        state, portal_id = world.state, world.portal_id
        store, server = stores(orders=14, seed=11, store_code="b2c")
        world.connect(store, server)
        delivery = WebhookDelivery(state, hook_url, SECRET, APP_ID)
        world.run(backfill, portal_id)
        hooked = Hooked(world, store, delivery)
        hooked.flush()  # the app's own writes: acknowledged, ignored
        yield hooked
        delivery.stop()


def test_contact_deleted_in_hubspot_comes_back_only_when_the_customer_changes(hooked):
    order = hooked.orders_of_distinct_customers(1)[0]
    email, deal_key = hooked.email_of(order), order.key
    contact_id, _ = hooked.link("contact", email)
    deal_id = hooked.world.deals_by_key()[deal_key]["id"]
    hooked.world.state.user_delete(hooked.portal_id, "contacts", contact_id)
    hooked.flush()
    assert hooked.link("contact", email) == (contact_id, "deleted_in_hubspot")

    hooked.order_changes(order)  # changes the customer's aggregates, not the customer
    assert hooked.contacts_with(email) == []
    deal = hooked.world.deals_by_key()[deal_key]
    assert deal["id"] == deal_id and deal["properties"]["moulin_refunded_amount"] == "1.00"
    live = {c["id"] for c in hooked.world.objects("contacts")}
    assert not set(hooked.deal_contacts(deal_id)) & live  # only the association HubSpot kept to the deleted one
    assert set(hooked.deal_contacts(deal_id)) <= {contact_id}
    assert hooked.card(order)[1] is None
    assert hooked.world.open_errors() == []

    hooked.store.update_customer(order.customer_id, {"phone": "+33 6 12 34 56 78"})
    hooked.world.run(sync_customer_orders, hooked.portal_id, email)  # what a customer.updated push runs
    [contact] = hooked.contacts_with(email)
    assert contact["id"] != contact_id and contact["properties"]["phone"] == "+33 6 12 34 56 78"
    assert hooked.link("contact", email) == (contact["id"], "synced")
    assert contact["id"] in hooked.deal_contacts(deal_id)
    assert hooked.card(order)[1] == contact["id"]
    assert hooked.world.open_errors() == []


def test_privacy_deleted_contact_is_never_created_again(hooked):
    order = hooked.orders_of_distinct_customers(1)[0]
    email = hooked.email_of(order)
    contact_id, _ = hooked.link("contact", email)
    hooked.world.state.user_privacy_delete_contact(hooked.portal_id, contact_id)
    hooked.flush()
    assert hooked.link("contact", email) is None  # the email itself is gone from the link

    hooked.order_changes(order)
    hooked.store.update_customer(order.customer_id, {"first_name": "Renamed", "phone": "+33 6 00 00 00 01"})
    hooked.world.run(sync_customer_orders, hooked.portal_id, email)
    hooked.world.run(reconcile, hooked.portal_id)
    assert hooked.contacts_with(email) == []
    deal = hooked.world.deals_by_key()[order.key]
    assert hooked.deal_contacts(deal["id"]) == []
    assert hooked.card(order)[:2] == (None, None)  # nothing personal comes back in the card's read model
    assert hooked.link("contact", email) is None
    assert hooked.world.open_errors() == []
    assert stored_anywhere(hooked.world.app, email) == []  # no table keeps the email, after syncs too


def stored_anywhere(app, text: str) -> list[str]:
    """Every table.column that holds `text` (case-insensitive) in a string or JSON column."""
    from sqlalchemy import JSON, String, Text, cast, func, select

    from hubspot_app.db.base import Base

    found = []
    with app.extensions["moulin.db"].session() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.c:
                if not isinstance(column.type, (String, Text, JSON)):
                    continue
                as_text = cast(column, Text) if isinstance(column.type, JSON) else column
                if session.scalar(select(func.count()).select_from(table).where(
                        func.lower(as_text).contains(text.lower()))):
                    found.append(f"{table.name}.{column.name}")
    return found


def test_deal_deleted_in_hubspot_stays_deleted_unless_the_store_asks_and_is_never_duplicated(hooked):
    order = hooked.orders_of_distinct_customers(1)[0]
    deal_id = hooked.world.deals_by_key()[order.key]["id"]
    line_ids = {li["id"] for li in hooked.world.objects("line_items")
                if li["properties"]["moulin_line_key"].startswith(order.key + ":")}
    hooked.world.state.user_delete(hooked.portal_id, "deals", deal_id)
    hooked.flush()
    assert hooked.link("deal", order.key) == (deal_id, "deleted_in_hubspot")

    hooked.order_changes(order)
    hooked.world.run(reconcile, hooked.portal_id)
    assert order.key not in hooked.world.deals_by_key()  # default: left deleted
    lines_now = {li["id"] for li in hooked.world.objects("line_items")
                 if li["properties"]["moulin_line_key"].startswith(order.key + ":")}
    assert lines_now <= line_ids  # no line item created for the deleted deal
    assert hooked.card(order)[2] is None

    hooked.settings(recreate_deleted_deals=True)
    hooked.world.run(reconcile, hooked.portal_id)  # no Moulin change: still deleted
    assert order.key not in hooked.world.deals_by_key()
    hooked.order_changes(order, amount="2.00")
    deal = hooked.world.deals_by_key()[order.key]  # deals_by_key fails on duplicates
    assert deal["id"] != deal_id and deal["properties"]["moulin_refunded_amount"] == "3.00"
    assert hooked.link("deal", order.key) == (deal["id"], "synced")
    lines = hooked.world.associations("deals", deal["id"], "line_items")
    assert len(lines) == len(order.lines), (hooked.world.open_errors(), lines_now, line_ids)
    # our links name the fresh line items, not the archived ones they replace
    assert {hooked.link("line_item", line_key(order, line)) for line in order.lines} == {
        (hs_id, "synced") for hs_id in lines}
    hooked.flush()  # the app's own re-creation echoes back as events: nothing changes
    hooked.order_changes(order, amount="0.50")
    hooked.world.run(reconcile, hooked.portal_id)
    assert hooked.world.deals_by_key()[order.key]["id"] == deal["id"]
    assert [d for d in hooked.world.objects("deals") if d["properties"]["moulin_order_key"] == order.key] == [
        hooked.world.deals_by_key()[order.key]]
    assert hooked.world.open_errors() == []


def test_merged_contacts_keep_their_deals_on_the_survivor_and_never_come_back(hooked):
    first, second = hooked.orders_of_distinct_customers(2)
    email_a, email_b = hooked.email_of(first), hooked.email_of(second)
    id_a, _ = hooked.link("contact", email_a)
    id_b, _ = hooked.link("contact", email_b)
    deals = hooked.world.deals_by_key()
    deal_a, deal_b = deals[first.key]["id"], deals[second.key]["id"]
    state, portal = hooked.world.state, hooked.portal_id
    contacts_before = len(hooked.world.objects("contacts"))

    survivor = state.user_merge_contacts(portal, id_a, id_b).id
    with state.lock:  # HubSpot did not carry this deal over: the app has to re-associate it
        state.portal(portal).associations.remove("deals", deal_b, "contacts", survivor)
    hooked.flush()
    assert hooked.link("contact", email_b) == (survivor, "synced")
    assert survivor not in hooked.deal_contacts(deal_b)

    hooked.order_changes(second)
    hooked.order_changes(first)
    hooked.store.update_customer(second.customer_id, {"phone": "+33 6 99 99 99 99"})
    hooked.world.run(sync_customer_orders, portal, email_b)
    assert survivor in hooked.deal_contacts(deal_a) and survivor in hooked.deal_contacts(deal_b)
    assert len(hooked.world.objects("contacts")) == contacts_before - 1  # no contact for the merged-away id
    [merged] = hooked.contacts_with(email_b)
    assert merged["id"] == survivor and hooked.contacts_with(email_a) == [merged]
    assert merged["properties"]["email"] == email_a  # the person's choice of primary email stands
    assert merged["properties"]["phone"] == "+33 6 99 99 99 99"  # Moulin's change reached the survivor
    assert hooked.link("contact", email_a) == hooked.link("contact", email_b) == (survivor, "synced")
    assert hooked.card(second)[1] == survivor
    with hooked.world.app.extensions["moulin.db"].session() as session:
        rows = session.scalars(select(PendingAssociation).where(PendingAssociation.portal_id == portal)).all()
        assert rows and all(r.done_at is not None for r in rows)
    assert hooked.world.open_errors() == []


def test_stage_moved_by_a_person_stays_when_hubspot_owns_the_stage(hooked):
    first, second = hooked.orders_of_distinct_customers(2)
    deals = hooked.world.deals_by_key()
    moulin_stages = {deals[o.key]["properties"]["dealstage"] for o in (first, second)}
    person_stage = next(s for s in _stage_ids(hooked).values() if s not in moulin_stages)
    hooked.settings(stage_source="hubspot")
    for order in (first, second):
        hooked.world.state.user_update(hooked.portal_id, "deals", deals[order.key]["id"], {"dealstage": person_stage})
    hooked.flush()

    hooked.order_changes(first)
    hooked.world.run(reconcile, hooked.portal_id)
    deal = hooked.world.deals_by_key()[first.key]
    assert deal["properties"]["dealstage"] == person_stage
    assert deal["properties"]["moulin_refunded_amount"] == "1.00"  # everything else still follows Moulin

    hooked.settings(stage_source="moulin")  # the default: Moulin's status wins at the next change
    hooked.order_changes(second)
    now = next(o for o in hooked.store.live_orders() if o.key == second.key)
    expected = _stage_ids(hooked)[stage_for(now, datetime.now(timezone.utc), {})]
    assert hooked.world.deals_by_key()[second.key]["properties"]["dealstage"] == expected != person_stage


def _stage_ids(hooked) -> dict[str, str]:
    with hooked.world.app.extensions["moulin.db"].session() as session:
        return dict(session.scalar(select(PortalSetup).where(PortalSetup.portal_id == hooked.portal_id)).stage_ids)
