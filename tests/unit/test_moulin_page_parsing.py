"""A listing's page is read in one pass (`parse_page`) when all of it is valid, and record by record otherwise:
both ways must give the same records, so that which way a page took never shows in what the sync writes."""
import json
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from hubspot_app.domain.mapping import deal_properties, line_item_properties, money
from hubspot_app.domain.records import (Company, Customer, Deletion, Order, PickupPoint, Product, RecordError,
                                        parse_page, parse_record)
from sandbox.moulin.store import SampleStore

MODELS = {"orders": Order, "customers": Customer, "companies": Company, "products": Product}
STORE = SampleStore(orders=600, seed=7, bad_records=0.05)


def _one_by_one(model, records: list) -> list:
    return [parse_record(model, record) for record in records]


def _page(records, cursor=None) -> bytes:
    return json.dumps({"data": records, "next_cursor": cursor, "total": len(records)}).encode()


def test_sample_store_pages_read_in_one_pass_equal_record_by_record():
    for name, model in MODELS.items():
        raw = list(STORE.iter_raw(name))
        valid = [r for r in raw if not isinstance(parse_record(model, r), RecordError)]
        records, cursor = parse_page(model, _page(valid, "next-1"))
        assert cursor == "next-1"
        assert records == _one_by_one(model, valid) and len(records) == len(valid) > 0, name


def test_a_page_with_one_bad_record_is_left_to_the_record_by_record_way():
    raw = list(STORE.iter_raw("orders"))
    assert any(isinstance(parse_record(Order, r), RecordError) for r in raw)  # the store spoils 5%
    assert parse_page(Order, _page(raw)) is None


def test_bodies_that_are_not_a_page_are_left_to_the_record_by_record_way():
    for body in (b"not json", b"[]", b'{"next_cursor": null}', b'{"data": {"id": "1"}}', b'{"data": [3]}'):
        assert parse_page(Order, body) is None, body


def test_members_other_than_data_and_cursor_are_ignored_and_a_cursor_is_any_value():
    assert parse_page(PickupPoint, b'{"data": [{"id": "pp1", "name": "Halle"}], "next_cursor": 5, "links": {}}') == (
        [PickupPoint(id="pp1", name="Halle")], 5)
    assert parse_page(Deletion, b'{"data": []}') == ([], None)


AMOUNT = st.one_of(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False).map(str),
                   st.integers(min_value=0, max_value=10**6),
                   st.floats(min_value=0, max_value=10**6, allow_nan=False).map(lambda f: round(f, 2)),
                   st.sampled_from(["1e2", "  12.50 ", 100.0, "0", "007.10"]))
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(total=AMOUNT, unit_price=AMOUNT, quantity=st.one_of(st.integers(1, 50), st.just(3.0)), note=TEXT,
       number=st.one_of(TEXT, st.just("  N-1  ")), when=st.sampled_from(
           ["2026-03-01T09:30:00+01:00", "2026-03-01T09:30:00.123456Z", "2026-03-01 09:30:00+00:00", 1772353800]))
def test_any_order_reads_alike_both_ways(total, unit_price, quantity, note, number, when):
    raw = {"id": "o1", "number": number, "store": "b2c", "status": "paid", "currency": "EUR", "subtotal": total,
           "total": total, "created_at": when, "updated_at": when, "note": note,
           "lines": [{"id": "l1", "title": "Farine", "quantity": quantity, "unit_price": unit_price}]}
    one = parse_record(Order, json.loads(json.dumps(raw)))
    page = parse_page(Order, _page([raw]))
    if isinstance(one, RecordError):
        assert page is None
        return
    assert page is not None and page[0] == [one]
    fast = page[0][0]
    # equal Decimals may keep other digits ("1e2": 100 vs 100.0); what the sync writes of them is the same
    assert Decimal(money(fast.total)) == one.total
    context = {"customer": None, "company": None, "pipeline_id": "p", "stage_id": "s", "pickup_point": None}
    assert deal_properties(fast, **context) == deal_properties(one, **context)
    assert line_item_properties(fast, fast.lines[0], "1") == line_item_properties(one, one.lines[0], "1")
