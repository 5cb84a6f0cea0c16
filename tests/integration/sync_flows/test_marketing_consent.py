"""Consent both ways, over loopback HTTP: sample store <-> app <-> HubSpot sandbox (signed webhooks).

Issue 14 "Done when": an unsubscribe in the sandbox reaches the sample store's customer (the webhook is processed
as it is delivered, no polling in between), a consent withdrawn in the store reaches HubSpot's status, and
concurrent changes end with the latest.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from hubspot_app.attribution.service import setup_marketing
from hubspot_app.config import OPTIONAL_SCOPES, REQUIRED_SCOPES
from hubspot_app.consent.service import push_pending, reconcile_consent
from hubspot_app.db.models import AttributionSubmission, ConsentState, ObjectLink
from hubspot_app.sync.backfill import backfill
from hubspot_app.sync.engine import sync_customer_orders
from sandbox.hubspot.webhook_delivery import WebhookDelivery
from tests.webhook_support import APP_ID, SECRET

from .conftest import World, installed_on_loopback

pytestmark = pytest.mark.db
MARKETING_TYPE = 1001  # the sandbox account's "Marketing Information" type


class Consenting:
    def __init__(self, world: World, store, delivery: WebhookDelivery):
        self.world, self.store, self.delivery = world, store, delivery

    def customer_with_email(self, consent: str) -> dict:
        return next(c for c in self.store.iter_raw("customers") if c.get("email") and "@" in c["email"]
                    and c["email"] == c["email"].strip().lower() and c["consent"]["marketing_email"] == consent
                    and any(o.get("customer_id") == c["id"] for o in self.store.iter_raw("orders")))

    def hubspot_status(self, email: str) -> str:
        [item] = [s for s in self.world.state.subscription_statuses(self.world.portal_id, email)
                  if s["subscriptionId"] == MARKETING_TYPE]
        return item["status"]

    def store_consent(self, customer_id: str) -> dict:
        return self.store.get("customers", customer_id)["consent"]

    def change_in_store(self, customer: dict, state: str, at: datetime) -> None:
        fresh = self.store.get("customers", customer["id"])
        self.store.save("customers", {**fresh, "consent": {"marketing_email": state, "changed_at": at.isoformat(),
                                                           "source": "account"}})
        self.world.run(sync_customer_orders, self.world.portal_id, customer["email"])  # what the push runs
        self.world.run(push_pending, self.world.portal_id)

    def flush(self) -> None:
        assert self.delivery.flush(), self.delivery.log


@pytest.fixture
def consenting(make_config, stores):
    with installed_on_loopback(make_config, " ".join((*REQUIRED_SCOPES, *OPTIONAL_SCOPES))) as (world, hook_url):
        store, server = stores(orders=60, seed=3, store_code="b2c")
        world.connect(store, server)
        world.run(setup_marketing, world.portal_id)
        delivery = WebhookDelivery(world.state, hook_url, SECRET, APP_ID)
        world.run(backfill, world.portal_id)
        world.run(push_pending, world.portal_id)
        consenting = Consenting(world, store, delivery)
        consenting.flush()  # the app's own writes: acknowledged
        yield consenting
        delivery.stop()


def test_the_stores_consent_reaches_hubspots_status_and_a_withdrawal_follows(consenting):
    customer = consenting.customer_with_email("granted")
    assert consenting.hubspot_status(customer["email"]) == "SUBSCRIBED"  # from the backfill

    consenting.change_in_store(customer, "withdrawn", datetime.now(timezone.utc))

    assert consenting.hubspot_status(customer["email"]) == "NOT_SUBSCRIBED"


def test_an_unsubscribe_in_hubspot_reaches_the_stores_customer(consenting):
    customer = consenting.customer_with_email("granted")
    state, portal_id = consenting.world.state, consenting.world.portal_id

    state.user_unsubscribe_all(portal_id, customer["email"])
    consenting.flush()  # HubSpot delivers the contact's hs_email_optout change; the app handles it as it arrives

    consent = consenting.store_consent(customer["id"])
    assert consent["marketing_email"] == "withdrawn" and consent["source"].startswith("hubspot:")
    with consenting.world.app.extensions["moulin.db"].session() as session:
        row = session.scalar(select(ConsentState).where(ConsentState.email == customer["email"]))
        assert row.status == "withdrawn" and row.source.startswith("hubspot:") and not row.pending_hubspot

    # Moulin pushes the customer back (its own change event): nothing echoes to HubSpot.
    consenting.world.run(sync_customer_orders, portal_id, customer["email"])
    assert consenting.world.run(push_pending, portal_id) == {"pushed": 0}


def test_concurrent_changes_end_with_the_latest(consenting):
    customer = consenting.customer_with_email("granted")
    world = consenting.world
    world.state.user_unsubscribe_all(world.portal_id, customer["email"])
    unsubscribed_at = datetime.fromisoformat(
        world.state.subscription_statuses(world.portal_id, customer["email"])[0]["timestamp"])

    # A grant recorded in the shop *before* the unsubscribe arrives after it: it loses on both sides.
    consenting.change_in_store(customer, "granted", unsubscribed_at - timedelta(minutes=5))
    consenting.flush()
    assert consenting.hubspot_status(customer["email"]) == "NOT_SUBSCRIBED"
    assert consenting.store_consent(customer["id"])["marketing_email"] == "withdrawn"

    # A grant made after the unsubscribe wins on both sides.
    consenting.change_in_store(customer, "granted", unsubscribed_at + timedelta(minutes=5))
    consenting.flush()
    assert consenting.hubspot_status(customer["email"]) == "SUBSCRIBED"
    assert consenting.store_consent(customer["id"])["marketing_email"] == "granted"


def test_reconcile_catches_a_change_no_webhook_announced(consenting):
    customer = consenting.customer_with_email("granted")
    world = consenting.world
    # One subscription type only (no "unsubscribed from all"): HubSpot sends no webhook we subscribe to.
    world.state.user_set_subscription(world.portal_id, customer["email"], MARKETING_TYPE, "NOT_SUBSCRIBED")
    consenting.flush()
    assert consenting.store_consent(customer["id"])["marketing_email"] == "granted"

    world.run(reconcile_consent, world.portal_id)

    assert consenting.store_consent(customer["id"])["marketing_email"] == "withdrawn"


def test_a_privacy_deletion_forgets_the_consent_and_never_sends_a_queued_checkout(consenting):
    customer = consenting.customer_with_email("granted")
    world, database = consenting.world, consenting.world.app.extensions["moulin.db"]
    with database.session() as session:
        assert session.scalar(select(ConsentState).where(ConsentState.email == customer["email"])) is not None
        session.add(AttributionSubmission(portal_id=world.portal_id, store_code="b2c", order_id="queued",
                                          state="pending", payload={"fields": [{"name": "email",
                                                                                "value": customer["email"]}]}))
        contact_id = session.scalar(select(ObjectLink.hubspot_id).where(ObjectLink.kind == "contact",
                                                                        ObjectLink.source_key == customer["email"]))
    world.state.user_privacy_delete_contact(world.portal_id, contact_id)
    consenting.flush()

    with database.session() as session:
        assert session.scalar(select(ConsentState).where(ConsentState.email == customer["email"])) is None
        assert session.scalar(select(AttributionSubmission).where(AttributionSubmission.order_id == "queued")) is None
