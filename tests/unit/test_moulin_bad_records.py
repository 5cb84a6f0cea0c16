"""Each kind of bad record yields a precise per-record error; the records around it still come through."""
import json

import pytest

from hubspot_app.moulin.client import MoulinClient
from hubspot_app.moulin.importer import import_orders
from hubspot_app.domain.records import Customer, Order, RecordError, parse_record, record_json, validate_record

NOW = "2026-03-01T09:30:00+01:00"


def order(order_id, **changes):
    record = {"id": order_id, "number": f"B2C-{order_id}", "store": "b2c", "status": "completed", "currency": "EUR",
              "subtotal": "12.00", "total": "12.00", "created_at": NOW, "updated_at": NOW,
              "lines": [{"id": f"{order_id}-1", "title": "Farine de blé T65", "quantity": 2, "unit_price": "6.00"}]}
    record.update(changes)
    return record


def customer(customer_id, **changes):
    record = {"id": customer_id, "email": "jean@exemple.fr", "first_name": "Jean", "created_at": NOW,
              "updated_at": NOW}
    record.update(changes)
    return record


HUGE = order("huge", lines=[{"id": f"h{i}", "title": f"Article nº{i}", "quantity": 1, "unit_price": "1.00"}
                            for i in range(500)], subtotal="500.00", total="500.00")
UNICODE = order("ünï-çødé-🌾", number="Nº 42 – 李", note="Livraison « chez Zoë » 🎁", cancel_reason=None,
                lines=[{"id": "l1", "title": "Huile de noix 🥜 – Ōtsuka édition", "quantity": 1, "unit_price": "12.00"}])
BAD_ORDERS = {
    "currency": (order("cur", currency="ZZZ"), "currency: Value error, unknown currency 'ZZZ'"),
    "negative": (order("neg", lines=[{"id": "n1", "title": "x", "quantity": -3, "unit_price": "1.00"}]),
                 "lines.0.quantity: Input should be greater than 0"),
    "missing": ({k: v for k, v in order("nonum").items() if k != "number"}, "number: Field required"),
}


@pytest.fixture
def client(requests_mock):
    return MoulinClient("http://moulin.test", "k", sleep=lambda s: None)


def test_orders_page_mixing_good_and_bad_records(requests_mock, client):
    page = [order("1"), HUGE, *(raw for raw, _ in BAD_ORDERS.values()), UNICODE, order("2")]
    requests_mock.get("http://moulin.test/orders", json={"data": page, "next_cursor": None})
    records = list(client.iter_orders())
    assert [r.id for r in records if isinstance(r, Order)] == ["1", "huge", "ünï-çødé-🌾", "2"]
    huge = next(r for r in records if isinstance(r, Order) and r.id == "huge")
    assert len(huge.lines) == 500
    unicode_order = next(r for r in records if isinstance(r, Order) and r.id == "ünï-çødé-🌾")
    assert unicode_order.number == "Nº 42 – 李" and "🥜" in unicode_order.lines[0].title
    errors = {r.record_id: r.errors for r in records if isinstance(r, RecordError)}
    assert errors == {"cur": [BAD_ORDERS["currency"][1]], "neg": [BAD_ORDERS["negative"][1]],
                      "nonum": [BAD_ORDERS["missing"][1]]}


def test_customers_without_email_are_valid_and_invalid_emails_are_not(requests_mock, client):
    page = [customer("no-email", email=None), customer("blank", email="   "), customer("bad", email="jean@@exemple"),
            customer("cased", email="  Zoë.Noël@Exemple.FR "), customer("nodate", created_at=None)]
    requests_mock.get("http://moulin.test/customers", json={"data": page, "next_cursor": None})
    records = {r.id if isinstance(r, Customer) else r.record_id: r for r in client.iter_customers()}
    assert records["no-email"].email is None and records["blank"].email is None
    assert records["cased"].email == "zoë.noël@exemple.fr"
    assert isinstance(records["bad"], RecordError) and records["bad"].errors[0].startswith("email: value is not a valid")
    assert isinstance(records["nodate"], RecordError) and records["nodate"].errors == [
        "created_at: Input should be a valid datetime"]


def test_the_import_reports_each_bad_line_with_its_number(tmp_path):
    export = tmp_path / "orders.jsonl"
    lines = [order("1"), BAD_ORDERS["currency"][0], HUGE, "{not json", UNICODE, BAD_ORDERS["missing"][0],
             order("x", store="b2b")]
    export.write_text("\n".join(l if isinstance(l, str) else json.dumps(l, ensure_ascii=False) for l in lines),
                      encoding="utf-8")
    received = []
    summary = import_orders(export, "b2c", received.append)
    assert [o.id for o in received] == ["1", "huge", "ünï-çødé-🌾"]
    assert summary.read == 7 and summary.imported == 3
    assert [(row.line, row.record.record_id) for row in summary.errors] == [(2, "cur"), (4, None), (6, "nonum"),
                                                                           (7, "x")]
    assert "not valid JSON" in summary.errors[1].record.errors[0]
    assert "store: 'b2b'" in summary.errors[3].record.errors[0]


@pytest.mark.parametrize("model, raw", [
    (Order, UNICODE),
    (Customer, customer("c1", addresses=[{"city": "Lyon", "country": "FR"}], tags=["bio"],
                        consent={"marketing_email": "granted", "changed_at": NOW, "source": "checkout"})),
])
def test_a_record_kept_as_json_reads_back_equal(model, raw):
    # the sync keeps each customer it synced as JSON (synced_customers.record) and reads it back when Moulin lost it
    record = parse_record(model, raw)
    assert isinstance(record, model)
    assert validate_record(model, json.loads(json.dumps(record_json(record)))) == record


def test_a_record_that_is_not_an_object_is_one_error_naming_it():
    error = parse_record(Order, ["not", "an", "order"])
    assert isinstance(error, RecordError) and error.kind == "order" and error.record_id is None
    assert error.errors == ["record: Input should be a dictionary or an instance of Order"]
