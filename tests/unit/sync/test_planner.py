from datetime import timedelta

from hubspot_app.domain.batch import PortalShape, SourceBatch, build
from hubspot_app.domain.planner import (DEAL_CONTACT, LINE_ITEM_DEAL, Work, minimal_calls, plan, work_size)
from hubspot_app.domain.stages import STAGES

from .records import T0, company, customer, line, order, product

SHAPE = PortalShape("pipe", {key: f"stage-{key}" for key, _, _ in STAGES}, {}, T0 + timedelta(hours=1))


def test_plan_orders_dependencies_and_batches_by_100_and_2000():
    work = Work()
    for i in range(250):
        work.upsert("line_items", f"l{i}", {})
        work.associate(LINE_ITEM_DEAL, f"l{i}", f"d{i % 120}")
    for i in range(120):
        work.upsert("deals", f"d{i}", {})
    work.upsert("contacts", "a@x", {})
    work.upsert("products", "SKU", {})
    work.archive("line_items", "99")
    steps = plan(work)
    assert [(s.op, s.object_type, len(s.items)) for s in steps] == [
        ("upsert", "contacts", 1), ("upsert", "products", 1),
        ("upsert", "deals", 100), ("upsert", "deals", 20),
        ("upsert", "line_items", 100), ("upsert", "line_items", 100), ("upsert", "line_items", 50),
        ("associate", "line_items", 250), ("archive", "line_items", 1)]
    objects, associations, archives = work_size(work)
    assert len(steps) == minimal_calls(objects, associations, archives)


def test_same_key_twice_is_sent_once():
    work = Work()
    work.upsert("contacts", "a@x", {"v": "1"})
    work.upsert("contacts", "a@x", {"v": "2"})
    [step] = plan(work)
    assert step.items == (("a@x", {"v": "2"}),)


def test_association_batches_split_at_2000():
    work = Work()
    for i in range(4001):
        work.associate(DEAL_CONTACT, f"d{i}", "c")
    assert [len(s.items) for s in plan(work)] == [2000, 2000, 1]
    assert minimal_calls({}, {DEAL_CONTACT: 4001}) == 3


def _batch(orders, **kw):
    return SourceBatch(store="b2c", orders=orders, customers={"c1": customer()}, **kw)


def test_build_new_order_writes_everything_once():
    o = order(lines=[line("l1", "SKU-1"), line("l2", "SKU-2")])
    built = build(_batch([o], products={"SKU-1": product("SKU-1")}), SHAPE, {}, {}, {})
    w = built.work
    assert set(w.upserts) == {"contacts", "products", "deals", "line_items"}
    assert set(w.upserts["products"]) == {"SKU-1", "SKU-2"}  # SKU-2 unknown to the catalogue: from the line
    assert w.upserts["deals"]["b2c:o1"]["dealstage"] == "stage-processed"
    assert w.associations[DEAL_CONTACT] == {("b2c:o1", "jane@example.com")}
    assert w.associations[LINE_ITEM_DEAL] == {("b2c:o1:l1", "b2c:o1"), ("b2c:o1:l2", "b2c:o1")}
    assert built.line_products == {"b2c:o1:l1": "SKU-1", "b2c:o1:l2": "SKU-2"}


def test_build_skips_unchanged_records_by_hash():
    o = order()
    first = build(_batch([o]), SHAPE, {}, {}, {})
    stored = {(kind, key): digest for (t, key), digest in first.hashes.items()
              for kind in [{"contacts": "contact", "products": "product", "deals": "deal",
                            "line_items": "line_item"}[t]]}
    again = build(_batch([o]), SHAPE, stored, {"b2c:o1": {"b2c:o1:l1"}}, {})
    assert again.work.upserts == {} and again.work.associations == {} and again.stale_lines == {}


def test_build_finds_removed_lines():
    o = order(lines=[line("l2", "SKU-2")])
    built = build(_batch([o]), SHAPE, {}, {"b2c:o1": {"b2c:o1:l1", "b2c:o1:l2"}}, {})
    assert built.stale_lines == {"b2c:o1": ["b2c:o1:l1"]}


def test_build_customer_without_email_gives_deal_without_contact():
    o = order()
    batch = SourceBatch(store="b2c", orders=[o], customers={"c1": customer(email=None)})
    built = build(batch, SHAPE, {}, {}, {})
    assert "contacts" not in built.work.upserts
    assert DEAL_CONTACT not in built.work.associations
    assert "b2c:o1" in built.work.upserts["deals"]


def test_build_b2b_order_links_company_both_ways():
    o = order(company_id="co1")
    built = build(_batch([o], companies={"co1": company()}), SHAPE, {}, {}, {})
    assert "b2c:co1" in built.work.upserts["companies"]
    kinds = {k[:2] for k in built.work.associations}
    assert {("deals", "companies"), ("contacts", "companies"), ("deals", "contacts")} <= kinds


def test_two_stores_same_order_number_are_two_deals():
    a, b = order(id="42", number="1001", store="b2c"), order(id="42", number="1001", store="b2b")
    built = build(_batch([a, b]), SHAPE, {}, {}, {})
    assert set(built.work.upserts["deals"]) == {"b2c:42", "b2b:42"}
    assert len(built.work.upserts["line_items"]) == 2


def test_a_chunk_carries_its_partly_filled_association_batch_and_the_next_fills_its_own_with_it():
    from hubspot_app.domain.planner import Carried

    work = Work()
    for i in range(2300):
        work.associate(LINE_ITEM_DEAL, f"l{i:04}", f"d{i}")
    work.associate(DEAL_CONTACT, "d1", "a@x")
    steps = plan(work, carry=True)
    assert [(s.op, s.association, len(s.items)) for s in steps] == [
        ("carry", DEAL_CONTACT, 1), ("associate", LINE_ITEM_DEAL, 2000), ("carry", LINE_ITEM_DEAL, 300)]

    nxt = Work(carried={LINE_ITEM_DEAL: [Carried(f"l-{i}", f"d-{i}", ("line_items", f"l{i}"), "h") for i in range(300)]})
    for i in range(1700):
        nxt.associate(LINE_ITEM_DEAL, f"m{i:04}", f"e{i}")
    [full] = plan(nxt, carry=True)
    assert (full.op, len(full.items)) == ("associate", 2000)  # one full batch: nothing left to carry
    assert all(isinstance(item, Carried) for item in full.items[:300])  # the carried pairs go first
    assert [s.op for s in plan(work)] == ["associate", "associate", "associate"]  # the last chunk sends all
