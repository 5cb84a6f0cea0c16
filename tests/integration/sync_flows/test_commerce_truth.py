"""Issue 11, findings 5-9, played through both sandboxes as a shop would: the sample store's admin API
changes the shop (over HTTP), the app syncs, and HubSpot's side is read back from the sandbox."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import insert, select

from hubspot_app.clock import MovableClock
from hubspot_app.db.models import MoulinStore, PortalSetup
from hubspot_app.domain.records import Customer, Order, RecordError, parse_record
from hubspot_app import bootstrap
from hubspot_app.jobs import sync_tasks as tasks
from hubspot_app.sync.backfill import backfill, poll
from hubspot_app.sync.engine import setup_portal, sync_customer_orders
from hubspot_app.domain.schema import GROUP, OBJECT_TYPES, PIPELINE_LABEL, PROPERTIES, SETUP_VERSION
from hubspot_app.sync.setup import set_company_identity
from hubspot_app.domain.stages import STAGES

from .conftest import drop_world, installed_world

pytestmark = pytest.mark.db


@pytest.fixture
def shop(make_config, hubspot, stores):
    """A portal on the HubSpot sandbox whose app clock the test moves, and one sample store of 30 orders."""
    state, hubspot_server = hubspot
    store, server = stores(orders=30, seed=21, store_code="b2c")
    clock = MovableClock(store.now)
    world = installed_world(make_config(hubspot_api_base=hubspot_server.url), state, clock)
    world.connect(store, server)
    world.run(backfill, world.portal_id)
    yield Shop(world, store, server.url, clock)
    drop_world(world)


class Shop:
    def __init__(self, world, store, url, clock):
        self.world, self.store, self.url, self.clock = world, store, url, clock

    def admin(self, method: str, path: str, **body) -> dict | None:
        response = requests.request(method, f"{self.url}/_admin{path}", json=body or None, timeout=10)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def order(self, order_id: str) -> Order:
        return parse_record(Order, self.store.get("orders", order_id))

    def stage_of(self, order_id: str) -> str:
        """The stage key the deal has in HubSpot now."""
        with self.world.app.extensions["moulin.db"].session() as session:
            ids = session.scalar(select(PortalSetup).where(PortalSetup.portal_id == self.world.portal_id)).stage_ids
        by_id = {stage_id: key for key, stage_id in ids.items()}
        return by_id[self.deal(order_id)["properties"]["dealstage"]]

    def deal(self, order_id: str) -> dict:
        return self.world.deals_by_key()[f"{self.store.store_code}:{order_id}"]

    def settings(self, **settings):
        with self.world.app.extensions["moulin.db"].session() as session:
            row = session.scalar(select(MoulinStore).where(MoulinStore.portal_id == self.world.portal_id))
            row.settings = {**(row.settings or {}), **settings}

    def paid_order_with_email(self, status: str = "paid") -> Order:
        for order in self.store.live_orders():
            customer = self.store.get("customers", order.customer_id or "") or {}
            if order.status.value == status and order.lines and "@" in str(customer.get("email") or ""):
                return order
        raise AssertionError(f"the sample store has no {status} order with a customer email")


# -- 5: abandonment on time, with the recovery URL --------------------------------------------------------

def test_a_checkout_is_abandoned_minutes_after_its_threshold_and_moves_on_when_paid(shop):
    order = shop.paid_order_with_email()
    shop.admin("POST", f"/orders/{order.id}", action="open_checkout")
    shop.world.run(poll, shop.world.portal_id)
    assert shop.stage_of(order.id) == "checkout_pending"
    url = shop.order(order.id).abandoned_checkout_url
    assert url and shop.deal(order.id)["properties"]["moulin_checkout_recovery_url"] == url

    # Nothing happens in the shop; the scheduled check runs every few minutes, as the worker would.
    shop.clock.advance(timedelta(hours=23, minutes=50).total_seconds())
    shop.world.run(tasks.abandon_due_all)
    assert shop.stage_of(order.id) == "checkout_pending"
    shop.clock.advance(timedelta(minutes=12).total_seconds())  # 2 minutes past the 24 h threshold
    shop.world.run(tasks.abandon_due_all)
    assert shop.stage_of(order.id) == "checkout_abandoned"
    assert shop.deal(order.id)["properties"]["moulin_checkout_recovery_url"] == url

    # The recovery email worked: the customer pays, the deal moves on.
    shop.admin("POST", f"/orders/{order.id}", action="set_status", status="paid")
    shop.clock.advance(60)
    shop.world.run(poll, shop.world.portal_id)
    assert shop.stage_of(order.id) == "processed"
    assert shop.world.open_errors() == []


def test_the_threshold_is_the_stores_and_an_aged_checkout_is_seen_at_the_next_poll(shop):
    order = shop.paid_order_with_email()
    shop.settings(abandon_after_hours=2)
    shop.admin("POST", f"/orders/{order.id}", action="open_checkout")
    shop.world.run(poll, shop.world.portal_id)
    assert shop.stage_of(order.id) == "checkout_pending"
    # the back office says the customer left it 3 hours ago (the sample store's "age a checkout")
    shop.admin("POST", f"/orders/{order.id}/age", hours=3)
    shop.world.run(poll, shop.world.portal_id)
    assert shop.stage_of(order.id) == "checkout_abandoned"


# -- 6: refunds keep the progress; the refunded amount is on the deal ---------------------------------------

def test_a_shipped_order_partially_refunded_stays_shipped_with_its_refund_on_the_deal(shop):
    shipped = shop.paid_order_with_email("shipped")
    completed = shop.paid_order_with_email("completed")
    assert shop.stage_of(shipped.id) == "shipped" and shop.stage_of(completed.id) == "completed"
    for order in (shipped, completed):
        shop.admin("POST", f"/orders/{order.id}", action="partial_refund", amount="2.00")
    shop.world.run(poll, shop.world.portal_id)
    assert shop.stage_of(shipped.id) == "shipped"
    assert shop.stage_of(completed.id) == "completed"
    assert shop.deal(shipped.id)["properties"]["moulin_refunded_amount"] == "2.00"
    # a second refund that empties it: refunded
    rest = str(shop.order(shipped.id).total - shop.order(shipped.id).refunded_amount)
    shop.admin("POST", f"/orders/{shipped.id}", action="partial_refund", amount=rest)
    shop.world.run(poll, shop.world.portal_id)
    assert shop.stage_of(shipped.id) == "refunded"


def test_a_refund_after_a_cancel_does_not_revive_the_order(shop):
    order = shop.paid_order_with_email()
    shop.admin("POST", f"/orders/{order.id}", action="cancel")
    shop.admin("POST", f"/orders/{order.id}", action="partial_refund", amount="1.00")
    shop.world.run(poll, shop.world.portal_id)
    assert shop.stage_of(order.id) == "cancelled"


# -- 8: products deleted in Moulin, and the fields they carry ---------------------------------------------

def _products_by_sku(world) -> dict[str, dict]:
    return {p["properties"]["hs_sku"]: p for p in world.objects("products")}


def test_products_carry_type_vendor_image_and_variant_options_and_a_deleted_one_is_archived(shop):
    products = _products_by_sku(shop.world)
    raw = next(p for p in (shop.store.get("products", f) for f in _product_ids(shop)) if p and p["variants"]
               and p["sku"] in products)
    base = products[raw["sku"]]["properties"]
    assert base["moulin_product_type"] == raw["product_type"]
    assert base["moulin_vendor"] == raw["vendor"]
    assert base["hs_images"] == raw["image_url"]
    variant = raw["variants"][-1]
    if variant["sku"] in products:
        assert products[variant["sku"]]["properties"]["moulin_variant_options"] == variant["title"]

    shop.admin("DELETE", f"/products/{raw['id']}")
    shop.clock.advance(60)
    shop.world.run(poll, shop.world.portal_id)
    left = _products_by_sku(shop.world)
    made = {raw["sku"], *(v["sku"] for v in raw["variants"])}
    assert not made & set(left), "a product deleted in Moulin is still live in HubSpot"
    # an old order using it syncs again without bringing the product back
    user = next(o for o in shop.store.live_orders() if any(line.sku in made for line in o.lines))
    shop.admin("POST", f"/orders/{user.id}", action="partial_refund", amount="0.50")
    shop.world.run(poll, shop.world.portal_id)
    assert not made & set(_products_by_sku(shop.world))
    assert shop.world.open_errors() == []


def test_a_store_may_mark_deleted_products_discontinued_instead(shop):
    shop.settings(product_deletion="discontinue")
    products = _products_by_sku(shop.world)
    raw = next(p for p in (shop.store.get("products", f) for f in _product_ids(shop)) if p and p["sku"] in products)
    shop.admin("DELETE", f"/products/{raw['id']}")
    shop.world.run(poll, shop.world.portal_id)
    kept = _products_by_sku(shop.world)[raw["sku"]]
    assert kept["id"] == products[raw["sku"]]["id"]
    assert kept["properties"]["moulin_discontinued"] == "true"


def _product_ids(shop) -> list[str]:
    return [p["id"] for p in shop.store.iter_raw("products")]


# -- 9: a per-record error closes when the record later syncs ---------------------------------------------

def test_a_bad_customer_error_closes_once_the_customer_is_fixed_and_synced(world, stores):
    store, server = stores(orders=60, seed=4, store_code="b2c", bad_records=0.2)
    world.connect(store, server)
    # a customer Moulin holds with a malformed email (fixable in the back office), who has orders
    customer = next(c for c in store.iter_raw("customers") if "created_at" in c
                    and isinstance(parse_record(Customer, c), RecordError)
                    and any(o.get("customer_id") == c["id"] for o in store.iter_raw("orders")))
    world.run(backfill, world.portal_id)
    key = f"moulin_record customer:{customer['id']}"
    assert any(e.startswith(key) for e in world.open_errors())

    email = f"fixed.{customer['id']}@exemple.fr"
    response = requests.post(f"{server.url}/_admin/customers/{customer['id']}", json={"email": email}, timeout=10)
    assert response.status_code == 200
    world.run(sync_customer_orders, world.portal_id, email)  # what the customer.updated push runs
    assert [c for c in world.objects("contacts") if c["properties"].get("email") == email]
    assert not any(e.startswith(key) for e in world.open_errors()), world.open_errors()


# -- 7: one HubSpot company per legal entity, across stores -------------------------------------------------

def test_the_same_siret_in_two_stores_is_one_company_linked_from_both(world, stores):
    shop_a, server_a = stores(orders=30, seed=8, store_code="b2b", b2b_share=0.8)
    shop_b, server_b = stores(orders=30, seed=9, store_code="pro", b2b_share=0.8)
    world.connect(shop_a, server_a)
    world.connect(shop_b, server_b)
    order_a, company_a = _b2b_order(shop_a)
    order_b, company_b = _b2b_order(shop_b)
    assert company_a["siret"] != company_b["siret"]
    # the same legal entity, entered in the second store's back office with its own account
    response = requests.post(f"{server_b.url}/_admin/companies/{company_b['id']}", timeout=10,
                             json={"siret": company_a["siret"][:9] + " " + company_a["siret"][9:]})
    assert response.status_code == 200

    world.run(backfill, world.portal_id)
    same = [c for c in world.objects("companies")
            if (c["properties"].get("moulin_siret") or "").replace(" ", "") == company_a["siret"]]
    assert len(same) == 1, same
    deals = world.deals_by_key()
    for order in (order_a, order_b):
        assert world.associations("deals", deals[order.key]["id"], "companies") == [same[0]["id"]]
    assert world.open_errors() == []


def test_the_portal_setting_chooses_the_identity_and_account_keeps_one_company_per_store(world, stores):
    shop_a, server_a = stores(orders=30, seed=8, store_code="b2b", b2b_share=0.8)
    shop_b, server_b = stores(orders=30, seed=9, store_code="pro", b2b_share=0.8)
    world.connect(shop_a, server_a)
    world.connect(shop_b, server_b)
    (_, company_a), (_, company_b) = _b2b_order(shop_a), _b2b_order(shop_b)
    shop_b.update_company(company_b["id"], {"siret": company_a["siret"]})
    world.run(setup_portal, world.portal_id)
    with world.app.app_context(), world.app.extensions["moulin.db"].session() as session:
        with pytest.raises(ValueError, match="siret, vat, domain, account"):
            set_company_identity(session, world.portal_id, "name")
        set_company_identity(session, world.portal_id, "account")
    world.run(backfill, world.portal_id)
    same = [c for c in world.objects("companies") if c["properties"].get("moulin_siret") == company_a["siret"]]
    assert len(same) == 2  # one per store account, as portals set up before the setting existed keep


def _b2b_order(store) -> tuple[Order, dict]:
    for order in store.live_orders():
        customer = store.get("customers", order.customer_id or "") or {}
        company_id = order.company_id or customer.get("company_id")
        company = store.get("companies", company_id) if company_id else None
        if company and company.get("siret"):
            return order, company
    raise AssertionError("no B2B order in the sample store")


# -- setup: a portal set up before these properties existed upgrades at its next sync -----------------------

def test_a_portal_set_up_at_version_1_gains_the_new_properties_and_keeps_its_companies(world, stores):
    store, server = stores(orders=10, seed=2, store_code="b2c")
    world.connect(store, server)
    new = {"deals": {"moulin_checkout_recovery_url"},
           "products": {"moulin_product_type", "moulin_vendor", "moulin_variant_options", "moulin_discontinued"}}
    with world.app.app_context(), world.app.extensions["moulin.db"].session() as session:
        crm = bootstrap.crm_for(world.portal_id)  # what setup version 1 made, through our own gateway
        for object_type in OBJECT_TYPES:
            crm.schema.create_group(object_type, GROUP["name"], GROUP["label"])
            crm.schema.create_properties(object_type, [spec for spec in PROPERTIES[object_type]
                                                       if spec["name"] not in new.get(object_type, ())])
        pipeline = crm.schema.create_pipeline("deals", PIPELINE_LABEL, [
            {"label": label, "metadata": {"probability": p}} for _, label, p in STAGES])
        session.execute(insert(PortalSetup).values(  # company_identity: what migration 0004_e gives a row it finds
            portal_id=world.portal_id, version=1, company_identity="account", pipeline_id=pipeline["id"],
            updated_at=datetime.now(timezone.utc),
            stage_ids={key: s["id"] for (key, _, _), s in zip(STAGES, pipeline["stages"])}))

    world.run(backfill, world.portal_id)
    with world.app.app_context():
        crm = bootstrap.crm_for(world.portal_id)
        for object_type, names in new.items():
            assert names <= crm.schema.property_names(object_type)
    with world.app.extensions["moulin.db"].session() as session:
        row = session.scalar(select(PortalSetup).where(PortalSetup.portal_id == world.portal_id))
        assert (row.version, row.company_identity) == (SETUP_VERSION, "account")
    assert len(world.deals_by_key()) == len(list(store.live_orders()))
    assert world.open_errors() == []
