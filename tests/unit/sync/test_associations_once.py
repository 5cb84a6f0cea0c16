"""An association is sent when one of its ends moved, not each time a record on it is re-written."""
from datetime import timedelta
from decimal import Decimal

from hubspot_app.domain import mapping
from hubspot_app.domain.content_hash import content_hash
from hubspot_app.domain.batch import KIND, PortalShape, SourceBatch, build
from hubspot_app.domain.planner import CONTACT_COMPANY, DEAL_COMPANY, DEAL_CONTACT, LINE_ITEM_DEAL
from hubspot_app.domain.stages import STAGES

from .records import T0, company, customer, line, order

SHAPE = PortalShape("pipe", {key: f"stage-{key}" for key, _, _ in STAGES}, {}, T0 + timedelta(hours=1))
DEAL, EMAIL = "b2c:o1", "jane@example.com"


def _batch(o, c=None):
    return SourceBatch(store="b2c", orders=[o], customers={"c1": c or customer(company_id="co1")},
                       companies={"co1": company(), "co2": company(id="co2", siret="98765432100011")})


def _stored(built):
    return {(KIND[t], key): digest for (t, key), digest in built.hashes.items()}


def _line_keys(o):
    return {DEAL: {f"{DEAL}:{ln.id}" for ln in o.lines}}


def test_an_edited_order_sends_its_new_line_but_not_its_contact_and_company_again():
    first_order = order()
    first = build(_batch(first_order), SHAPE, {}, {}, {})
    assert set(first.work.associations) == {DEAL_CONTACT, DEAL_COMPANY, CONTACT_COMPANY, LINE_ITEM_DEAL}

    edited = order(lines=[line("l1", "SKU-1", 2), line("l2", "SKU-2", 1)], total="30.00")
    stats = {EMAIL: mapping.ContactStats(orders_count=1, lifetime_value=Decimal("30"))}
    again = build(_batch(edited), SHAPE, _stored(first), _line_keys(first_order), stats)

    assert set(again.work.upserts) == {"deals", "line_items", "contacts", "products"}  # amount, line, totals
    assert again.work.associations == {LINE_ITEM_DEAL: {(f"{DEAL}:l2", DEAL)}}


def test_a_deal_whose_company_moved_is_associated_again():
    first = build(_batch(order()), SHAPE, {}, {}, {})
    moved = build(_batch(order(company_id="co2")), SHAPE, _stored(first), _line_keys(order()), {})
    company_key = mapping.company_key("b2c", company(id="co2", siret="98765432100011"), SHAPE.company_identity)
    assert moved.work.associations[DEAL_COMPANY] == {(DEAL, company_key)}
    assert moved.work.associations[DEAL_CONTACT] == {(DEAL, EMAIL)}


def test_a_deal_hash_from_before_the_ends_had_their_own_part_counts_as_unchanged():
    first = build(_batch(order()), SHAPE, {}, {}, {})
    stored = _stored(first)
    deal = first.work.upserts["deals"][DEAL]
    company_key = mapping.company_key("b2c", company(), SHAPE.company_identity)
    stored[("deal", DEAL)] = content_hash({**deal, "_contact": EMAIL, "_company": company_key})
    assert "deals" not in build(_batch(order()), SHAPE, stored, _line_keys(order()), {}).work.upserts
    shipped = build(_batch(order(status="shipped")), SHAPE, stored, _line_keys(order()), {})
    assert DEAL in shipped.work.upserts["deals"] and shipped.work.associations[DEAL_CONTACT] == {(DEAL, EMAIL)}
