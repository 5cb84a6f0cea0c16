"""The webhooks contract in the pure core: what `build` writes for links people changed in HubSpot."""
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from hubspot_app.domain.store_settings import StoreSettings
from hubspot_app.domain.batch import KIND, Built, Gone, PortalShape, SourceBatch, build
from hubspot_app.sync.executor import execute
from hubspot_app.domain.mapping import (ContactStats, STATS_PROPERTIES, contact_hash, contact_properties,
                                      customer_changed, stats_properties, stats_written)
from hubspot_app.domain.planner import DEAL_CONTACT, LINE_ITEM_DEAL, Work
from hubspot_app.domain.stages import STAGES

from .records import T0, customer, order

SHAPE = PortalShape("pipe", {key: f"stage-{key}" for key, _, _ in STAGES}, {}, T0 + timedelta(hours=1))
EMAIL, DEAL = "jane@example.com", "b2c:o1"


def _batch(o, c=None):
    return SourceBatch(store="b2c", orders=[o], customers={"c1": c or customer()})


def _stored(o, c=None, shape=SHAPE):
    """What the links hold after a first, complete sync: (kind, key) -> hash."""
    first = build(_batch(o, c), shape, {}, {}, {})
    return {(KIND[t], key): digest for (t, key), digest in first.hashes.items()}


def _synced_but(stored, kind, key, state):
    """Every link synced except one, left by the webhooks in `state` (its hash kept, as they leave it)."""
    hashes = {k: v for k, v in stored.items() if k != (kind, key)}
    return hashes, {(kind, key): Gone(state, stored[(kind, key)])}


def test_contact_hash_separates_the_customer_from_its_order_aggregates():
    c = customer()
    one, two = ContactStats(), ContactStats(orders_count=2, lifetime_value=Decimal("40"))
    a, b = contact_hash(contact_properties(c, one)), contact_hash(contact_properties(c, two))
    assert a != b and not customer_changed(a, b)
    renamed = contact_hash(contact_properties(customer(first_name="Janet"), one))
    assert customer_changed(a, renamed)
    assert customer_changed(a, contact_hash(contact_properties(c, one), {"_company": "b2c:co1"}))
    assert not customer_changed(None, renamed)  # no evidence of a change: a deletion is respected
    # The totals written alone over `a`: the hash a full write of the same contact with those totals would store.
    assert stats_written(a, stats_properties(two)) == b


def test_stats_properties_are_the_ones_the_hash_sets_apart():
    full = ContactStats(orders_count=1, lifetime_value=Decimal("1"), first_order_at=T0, last_order_at=T0,
                        last_pickup_point="P", skus=("S",), categories=("C",), brands=("B",))
    assert set(stats_properties(full)) == set(STATS_PROPERTIES)


def test_contact_deleted_in_hubspot_is_not_recreated_by_an_order_change():
    o = order()
    hashes, gone = _synced_but(_stored(o), "contact", EMAIL, "deleted_in_hubspot")
    changed_order = order(status="shipped", total="25.00")
    stats = {EMAIL: ContactStats(orders_count=3, lifetime_value=Decimal("70"))}
    built = build(_batch(changed_order), SHAPE, hashes, {DEAL: {"b2c:o1:l1"}}, stats, gone)
    assert "contacts" not in built.work.upserts
    assert "deals" in built.work.upserts
    assert DEAL_CONTACT not in built.work.associations  # no association to a dead contact


def test_contact_deleted_in_hubspot_comes_back_when_the_customer_changes():
    o = order()
    hashes, gone = _synced_but(_stored(o), "contact", EMAIL, "deleted_in_hubspot")
    built = build(_batch(o, customer(phone="+33 1 23 45 67 89")), SHAPE, hashes, {DEAL: {"b2c:o1:l1"}}, {}, gone)
    assert EMAIL in built.work.upserts["contacts"]
    assert built.work.associations[DEAL_CONTACT] == {(DEAL, EMAIL)}  # the deal is re-sent with its new contact


def test_privacy_deleted_customer_never_gets_a_contact_even_when_it_changes():
    o = order()
    built = build(_batch(o, customer(first_name="Other")), SHAPE, {}, {}, {}, {}, frozenset({EMAIL}))
    assert "contacts" not in built.work.upserts and DEAL_CONTACT not in built.work.associations
    assert "deals" in built.work.upserts
    assert "jane" not in str(built.work.upserts["deals"][DEAL].get("dealname", "")).lower()


def test_deal_deleted_in_hubspot_stays_deleted_with_its_line_items_by_default():
    o = order()
    hashes, gone = _synced_but(_stored(o), "deal", DEAL, "deleted_in_hubspot")
    built = build(_batch(order(status="shipped")), SHAPE, hashes, {DEAL: {"b2c:o1:l1"}}, {}, gone)
    assert "deals" not in built.work.upserts and "line_items" not in built.work.upserts
    assert built.work.associations == {} and built.stale_lines == {}


def test_deal_deleted_in_hubspot_comes_back_with_its_lines_when_the_store_says_so():
    o = order()
    shape = replace(SHAPE, settings=StoreSettings(recreate_deleted_deals=True))
    hashes, gone = _synced_but(_stored(o), "deal", DEAL, "deleted_in_hubspot")
    assert build(_batch(o), shape, hashes, {DEAL: {"b2c:o1:l1"}}, {}, gone).work.upserts == {}  # no change
    built = build(_batch(order(status="shipped")), shape, hashes, {DEAL: {"b2c:o1:l1"}}, {}, gone)
    assert DEAL in built.work.upserts["deals"]
    assert set(built.work.upserts["line_items"]) == {"b2c:o1:l1"}  # unchanged line, attached to the new deal
    assert built.work.associations[LINE_ITEM_DEAL] == {("b2c:o1:l1", DEAL)}


def test_deleted_products_and_line_items_are_healed():
    o = order()
    stored = _stored(o)
    for kind, key, object_type in (("product", "SKU-1", "products"), ("line_item", "b2c:o1:l1", "line_items")):
        hashes, gone = _synced_but(stored, kind, key, "deleted_in_hubspot")
        built = build(_batch(o), SHAPE, hashes, {DEAL: {"b2c:o1:l1"}}, {}, gone)
        assert key in built.work.upserts[object_type]


def test_stage_source_hubspot_leaves_the_stage_of_existing_deals_alone():
    shape = replace(SHAPE, settings=StoreSettings(stage_source="hubspot"))
    new = build(_batch(order()), shape, {}, {}, {})
    assert new.work.upserts["deals"][DEAL]["dealstage"] == "stage-processed"  # a new deal gets Moulin's stage
    stored = _stored(order(), shape=shape)
    moved = build(_batch(order(status="shipped", total="21.00")), shape, stored, {DEAL: {"b2c:o1:l1"}}, {})
    assert "dealstage" not in moved.work.upserts["deals"][DEAL]
    assert moved.work.upserts["deals"][DEAL]["amount"] == "21.00"
    moulin = build(_batch(order(status="shipped")), SHAPE, _stored(order()), {DEAL: {"b2c:o1:l1"}}, {})
    assert moulin.work.upserts["deals"][DEAL]["dealstage"] == "stage-shipped"


class ContactsCrm:
    """Records how contacts are written: upserts by email, updates by id (one id at most once per call)."""

    def __init__(self):
        self.upserts, self.updates = [], []

    def upsert(self, object_type, id_property, inputs):
        self.upserts.append((id_property, list(inputs)))
        return SimpleNamespace(ids={k: f"new-{k}" for k, _ in inputs}, errors={})

    def update(self, object_type, inputs):
        ids = [i for i, _ in inputs]
        assert len(ids) == len(set(ids)), "HubSpot refuses the same id twice in one batch"
        self.updates.append(list(inputs))
        return SimpleNamespace(ids={i: i for i in ids}, errors={})

    def associate(self, from_type, to_type, type_id, pairs):
        return []

    def archive(self, object_type, ids):
        pass


def test_known_contacts_are_updated_by_id_without_email_and_new_ones_upserted_by_email():
    work = Work()
    for email in ("ana@x.fr", "bea@x.fr", "new@x.fr"):
        work.upsert("contacts", email, {"email": email, "firstname": email[:3]})
    known = {("contacts", "ana@x.fr"): "S", ("contacts", "bea@x.fr"): "S"}  # both merged into S
    crm = ContactsCrm()
    outcome = execute(crm, Built(work), known)
    assert crm.upserts == [("email", [("new@x.fr", {"email": "new@x.fr", "firstname": "new"})])]
    assert [[i for i, _ in call] for call in crm.updates] == [["S"], ["S"]]
    assert all("email" not in props for call in crm.updates for _, props in call)
    assert outcome.ids == {("contacts", "ana@x.fr"): "S", ("contacts", "bea@x.fr"): "S",
                           ("contacts", "new@x.fr"): "new-new@x.fr"} and outcome.errors == {}
