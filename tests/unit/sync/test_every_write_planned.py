"""Every HubSpot write of a sync is a planned batch: known and new contacts apart, removals batched. Pure."""
from datetime import timedelta

from hubspot_app.domain.batch import PortalShape, SourceBatch, build
from hubspot_app.domain.planner import CONTACT_COMPANY, DEAL_CONTACT, Work, plan, waves
from hubspot_app.domain.stages import STAGES

from .records import T0, company, customer, order

SHAPE = PortalShape("pipe", {key: f"stage-{key}" for key, _, _ in STAGES}, {}, T0 + timedelta(hours=1))


def test_known_and_new_contacts_are_planned_as_separate_full_batches():
    work, by_id = Work(), {}
    for i in range(150):
        work.upsert("contacts", f"new{i:03}@x", {"email": f"new{i:03}@x"})
        work.upsert("contacts", f"old{i:03}@x", {"email": f"old{i:03}@x"})
        by_id[("contacts", f"old{i:03}@x")] = f"id-{i}"
    steps = plan(work, by_id)
    assert [(s.op, len(s.items)) for s in steps] == [("upsert", 100), ("upsert", 50), ("update", 100), ("update", 50)]
    assert all(key.startswith("new") for s in steps if s.op == "upsert" for key, _ in s.items)
    assert len(waves(steps)) == 1  # all independent: they may run at once


def test_two_emails_of_one_contact_are_written_in_order_never_in_one_batch():
    work = Work()
    work.upsert("contacts", "a@x", {"firstname": "A"})
    work.upsert("contacts", "b@x", {"firstname": "B"})
    steps = plan(work, {("contacts", "a@x"): "7", ("contacts", "b@x"): "7"})
    assert [[(s.op, [k for k, _ in s.items]) for s in wave] for wave in waves(steps)] == [
        [("update", ["a@x"])], [("update", ["b@x"])]]


def test_removals_are_batches_archives_first():
    work = Work()
    for i in range(250):
        work.archive("deals", f"d{i}")
        work.archive("line_items", f"l{i}")
        work.unassociate("deals", "contacts", f"b2c:{i}", f"c{i}", None)
    for i in range(3):
        work.associate_ids(DEAL_CONTACT, f"d{i}", "c1")
    work.upsert("deals", "b2c:1", {})
    grouped = [[(s.op, s.object_type, len(s.items)) for s in wave] for wave in waves(plan(work))]
    assert grouped == [
        [("upsert", "deals", 1)]
        + [("archive", "deals", n) for n in (100, 100, 50)]
        + [("archive", "line_items", n) for n in (100, 100, 50)],
        [("associate_ids", "deals", 3)] + [("unassociate", "deals", n) for n in (100, 100, 50)]]


def test_a_contact_whose_company_alone_changed_is_relinked_not_rewritten():
    jane = customer()  # no company of its own: the contact hangs on the company its order names
    companies = {"co1": company("co1"), "co2": company("co2", name="Dupont Fils", siret="98765432100011")}
    first = build(SourceBatch("b2c", [order(company_id="co1")], {"c1": jane}, companies), SHAPE, {}, {}, {})
    stored = {(kind, key): digest for (t, key), digest in first.hashes.items()
              for kind in [{"contacts": "contact", "companies": "company", "products": "product",
                            "deals": "deal", "line_items": "line_item"}[t]]}
    # The same customer, the same orders' aggregates: only the company its order names moved.
    again = build(SourceBatch("b2c", [order(company_id="co2")], {"c1": jane}, companies), SHAPE, stored, {}, {})
    assert "contacts" not in again.work.upserts
    assert ("jane@example.com", "b2c:co2") in again.work.associations[CONTACT_COMPANY]
    assert again.hashes[("contacts", "jane@example.com")] != stored[("contact", "jane@example.com")]
    renamed = build(SourceBatch("b2c", [order(company_id="co2")], {"c1": customer(first_name="Janet")}, companies),
                    SHAPE, stored, {}, {})
    assert set(renamed.work.upserts["contacts"]) == {"jane@example.com"}


def test_the_contact_hash_fits_the_links_column():
    from hubspot_app.db.models import ObjectLink
    from hubspot_app.domain.mapping import ContactStats, contact_hash, contact_properties

    digest = contact_hash(contact_properties(customer(), ContactStats()), {"_company": "b2c:co1"})
    assert len(digest) == ObjectLink.__table__.c.content_hash.type.length
