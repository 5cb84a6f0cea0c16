"""People act in the HubSpot sandbox; its webhook delivery posts signed batches over loopback HTTP to the app
running in a thread; the app's mapping follows. A second app receives the same events duplicated and shuffled
and must end in the same state."""
from contextlib import ExitStack
from decimal import Decimal
from datetime import datetime, timezone

import pytest
from hubspot.crm.contacts import SimplePublicObjectInputForCreate
from sqlalchemy import select

from hubspot_app.db.models import CardOrder, Installation, MoulinStore, ObjectLink
from hubspot_app.db.models.webhooks import DealStageChange, PendingAssociation, WebhookEvent
from hubspot_app.db.repository import privacy_deleted_emails
from sandbox.hubspot.testing import install_portal, running_sandbox
from sandbox.hubspot.webhook_delivery import Chaos, WebhookDelivery
from tests.webhook_support import APP_ID, SECRET
from tests.webhook_support_http import app_on_loopback

pytestmark = pytest.mark.e2e


def create(sdk_api, **properties) -> str:
    return sdk_api.basic_api.create(SimplePublicObjectInputForCreate(properties=properties)).id


def seed_crm(portal):
    """What the sync engine would have written: contacts, deals, a company pair, a product."""
    sdk = portal.sdk()
    ids = {email.split("@")[0]: create(sdk.crm.contacts, email=email)
           for email in ("ana@moulin.fr", "bea@moulin.fr", "cyd@moulin.fr", "fay@moulin.fr")}
    for order in ("o1", "o2", "o3"):
        ids[order] = create(sdk.crm.deals, dealname=order, pipeline="default", dealstage="appointmentscheduled")
    ids["acme"] = create(sdk.crm.companies, name="Acme")
    ids["acme2"] = create(sdk.crm.companies, name="Acme (dup)")
    ids["sku1"] = create(sdk.crm.products, name="Flour", price="2.5")
    return ids


def seed_app(app, portal_id, ids):
    with app.extensions["moulin.db"].session() as session:
        session.add(Installation(portal_id=portal_id, status="active", scopes=""))
        session.add(MoulinStore(portal_id=portal_id, code="shop", name="Shop", api_url="https://moulin.test",
                                api_key_enc="x", push_secret_enc="x", settings={}))
        for who in ("ana", "bea", "cyd", "fay"):
            session.add(ObjectLink(portal_id=portal_id, kind="contact", source_key=f"{who}@moulin.fr",
                                   hubspot_id=ids[who]))
        session.add(ObjectLink(portal_id=portal_id, kind="contact", source_key="eve@moulin.fr", hubspot_id=None))
        for order in ("o1", "o2", "o3"):
            session.add(ObjectLink(portal_id=portal_id, kind="deal", source_key=f"shop:{order}", hubspot_id=ids[order]))
        session.add(ObjectLink(portal_id=portal_id, kind="company", source_key="shop:acme", hubspot_id=ids["acme"]))
        session.add(ObjectLink(portal_id=portal_id, kind="company", source_key="shop:acme2", hubspot_id=ids["acme2"]))
        session.add(ObjectLink(portal_id=portal_id, kind="product", source_key="SKU-1", hubspot_id=ids["sku1"]))
        for order, who in (("o1", "ana"), ("o2", "bea"), ("o3", "fay")):
            session.add(CardOrder(portal_id=portal_id, store_code="shop", order_id=order, order_number=order.upper(),
                                  contact_email=f"{who}@moulin.fr", hubspot_contact_id=ids[who],
                                  hubspot_deal_id=ids[order], status="paid", currency="EUR", total=Decimal("12.50"),
                                  ordered_at=datetime(2026, 11, 2, tzinfo=timezone.utc)))


def snapshot(app):
    with app.extensions["moulin.db"].session() as session:
        links = {(l.kind, l.source_key): (l.hubspot_id, l.state) for l in session.scalars(select(ObjectLink))}
        cards = {c.order_id: (c.contact_email, c.hubspot_contact_id, c.hubspot_deal_id)
                 for c in session.scalars(select(CardOrder))}
        stages = sorted((s.hubspot_deal_id, s.stage) for s in session.scalars(select(DealStageChange)))
        pending = sorted((p.from_id, p.to_id) for p in session.scalars(select(PendingAssociation)))
    return links, cards, stages, pending


def people_act_in_hubspot(state, portal_id, ids) -> str:
    merged = state.user_merge_contacts(portal_id, ids["ana"], ids["bea"]).id
    state.user_update(portal_id, "contacts", ids["cyd"], {"email": "eve@moulin.fr"})
    state.user_delete(portal_id, "deals", ids["o2"])
    state.user_update(portal_id, "deals", ids["o1"], {"dealstage": "closedwon"})
    state.user_privacy_delete_contact(portal_id, ids["fay"])
    state.user_delete(portal_id, "products", ids["sku1"])
    state.user_merge(portal_id, "companies", ids["acme"], ids["acme2"])
    return merged


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_people_merge_delete_and_edit_in_hubspot_and_the_app_follows(make_config, tmp_path, seed):
    with ExitStack() as stack:
        state, url = stack.enter_context(running_sandbox(app_id=APP_ID))
        portal = install_portal(state, url)
        clean_app, clean_url = stack.enter_context(
            app_on_loopback(make_config, database_url=f"sqlite:///{tmp_path / 'clean.sqlite3'}"))
        chaos_app, chaos_url = stack.enter_context(
            app_on_loopback(make_config, database_url=f"sqlite:///{tmp_path / 'chaos.sqlite3'}",
                            queue_path=str(tmp_path / "chaos-queue.sqlite3")))
        ids = seed_crm(portal)
        for app in (clean_app, chaos_app):
            seed_app(app, portal.portal_id, ids)
        clean = WebhookDelivery(state, clean_url, SECRET, APP_ID)
        chaotic = WebhookDelivery(state, chaos_url, SECRET, APP_ID, chaos=Chaos(duplicate_rate=0.6, reorder=True,
                                                                                  seed=seed))
        clean.flush(), chaotic.flush()  # the app's own creations: acknowledged, ignored

        survivor = people_act_in_hubspot(state, portal.portal_id, ids)
        assert clean.flush() and chaotic.flush()

        links, cards, stages, pending = snapshot(clean_app)
        assert links[("contact", "ana@moulin.fr")] == (survivor, "synced")
        assert links[("contact", "bea@moulin.fr")] == (survivor, "synced")
        assert cards["o1"][1] == cards["o2"][1] == survivor
        assert sorted(pending) == sorted([(ids["o1"], survivor), (ids["o2"], survivor)])
        assert links[("contact", "eve@moulin.fr")] == (ids["cyd"], "synced")
        assert links[("contact", "cyd@moulin.fr")] == (None, "synced")
        assert links[("deal", "shop:o2")] == (ids["o2"], "deleted_in_hubspot")
        assert cards["o2"][2] is None
        assert stages == [(ids["o1"], "closedwon")]
        assert ("contact", "fay@moulin.fr") not in links
        assert cards["o3"][:2] == (None, None)
        assert links[("product", "SKU-1")] == (ids["sku1"], "deleted_in_hubspot")
        assert links[("company", "shop:acme2")] == (ids["acme"], "synced")
        with clean_app.extensions["moulin.db"].session() as session:
            assert privacy_deleted_emails(session, portal.portal_id, ["fay@moulin.fr"]) == {"fay@moulin.fr"}
            assert session.scalars(select(WebhookEvent.status).where(WebhookEvent.status != "processed")).all() == []

        assert chaotic.log.attempts and sum(a.events for a in chaotic.log.attempts) > sum(
            a.events for a in clean.log.attempts)
        assert snapshot(chaos_app) == (links, cards, stages, pending)
        clean.stop(), chaotic.stop()
