"""The client against the sample store over loopback HTTP: the two sides of docs/moulin-api.yaml."""
from datetime import timedelta

import pytest

from hubspot_app.moulin.address_guard import AddressPolicy
from hubspot_app.moulin.client import MoulinClient
from hubspot_app.moulin.errors import MoulinAuthError, MoulinNotFound
from hubspot_app.domain.records import Customer, Deletion, Order, RecordError
from sandbox.moulin import start_sample_store

LOOPBACK = AddressPolicy(allow_private=True)  # the sample store serves on loopback http


@pytest.fixture(scope="module")
def sample():
    store, server = start_sample_store(orders=120, seed=7)
    yield store, server
    server.stop()


@pytest.fixture
def fresh():
    store, server = start_sample_store(orders=60, seed=11)
    yield store, server
    server.stop()


def client(server, page_size=7) -> MoulinClient:
    return MoulinClient(server.url, "sample-key", page_size=page_size, timeout=5, policy=LOOPBACK)


def test_tiny_pages_return_every_order_once_in_cursor_order(sample):
    store, server = sample
    orders = list(client(server, page_size=7).iter_orders())
    expected = [o.id for o in store.live_orders()]
    assert len(expected) > 100
    assert [o.id for o in orders] == expected
    assert all(isinstance(o, Order) and o.store == "b2c" for o in orders)
    keys = [(o.updated_at, o.id) for o in orders]
    assert keys == sorted(keys)
    assert len({o.id for o in orders}) == len(orders)


def test_page_size_does_not_change_the_result(sample):
    _, server = sample
    assert [o.id for o in client(server, 1).iter_customers()][:25] == \
        [c.id for c in client(server, 1000).iter_customers()][:25]
    assert len(list(client(server, 3).iter_customers())) == len(list(client(server, 1000).iter_customers()))


def test_updated_since_returns_only_later_changes(sample):
    _, server = sample
    orders = list(client(server).iter_orders())
    cut = orders[80].updated_at
    later = list(client(server).iter_orders(updated_since=cut))
    assert [o.id for o in later] == [o.id for o in orders[80:]]
    assert list(client(server).iter_orders(updated_since=orders[-1].updated_at + timedelta(seconds=1))) == []


def test_every_collection_is_typed(sample):
    c = client(server=sample[1], page_size=5)
    assert len(list(c.iter_products())) == 16
    assert len(list(c.iter_pickup_points())) == 6
    companies = list(c.iter_companies())
    assert companies and all(len(co.siret) == 14 and co.vat_number.startswith("FR") for co in companies)
    customers = list(c.iter_customers())
    assert {cu.kind for cu in customers} == {"b2c", "b2b"}
    assert any(cu.email is None for cu in customers)


def test_lookup_by_email_in_another_case_finds_every_account_and_their_orders(sample):
    store, server = sample
    customers = [c for c in client(server).iter_customers() if isinstance(c, Customer)]
    by_email: dict[str, list[str]] = {}
    for c in customers:
        if c.email:
            by_email.setdefault(c.email, []).append(c.id)
    email, ids = next((e, i) for e, i in by_email.items() if len(i) > 1)  # shared address, two spellings
    found = client(server).lookup_customer(f"  {email.upper()} ")
    assert sorted(c.id for c in found.customers) == sorted(ids)
    expected_orders = sorted(o.id for o in store.live_orders() if o.customer_id in ids)
    assert expected_orders and sorted(o.id for o in found.orders) == expected_orders
    assert found.errors == []
    assert client(server).lookup_customer("personne@nulle-part.fr").customers == []


def test_get_one_and_not_found(sample):
    store, server = sample
    first = next(store.live_orders())
    c = client(server)
    assert c.get_order(first.id) == first
    assert c.get_customer(first.customer_id).id == first.customer_id
    with pytest.raises(MoulinNotFound):
        c.get_order("ord_999999")


def test_ping_and_wrong_key(sample):
    _, server = sample
    assert client(server).ping()["store"] == "b2c"
    with pytest.raises(MoulinAuthError):
        MoulinClient(server.url, "wrong-key", policy=LOOPBACK).ping()


def test_edits_move_an_order_after_the_cursor_and_deletions_are_listed(fresh):
    store, server = fresh
    c = client(server, page_size=4)
    before = list(c.iter_orders())
    mark = before[-1].updated_at
    target = before[3]
    changed = c._session.post(f"{server.url}/_admin/orders/{target.id}", json={"action": "partial_refund",
                                                                              "amount": "1.00"}).json()
    assert changed["status"] == "partially_refunded"
    gone = before[5]
    assert c._session.delete(f"{server.url}/_admin/orders/{gone.id}").status_code == 204

    since = list(c.iter_orders(updated_since=mark + timedelta(microseconds=1)))
    assert [o.id for o in since] == [target.id]
    assert since[0].refunded_amount == target.refunded_amount + 1
    after = [o.id for o in c.iter_orders()]
    assert gone.id not in after and after[-1] == target.id and len(after) == len(before) - 1

    deletions = list(c.iter_deletions())
    assert all(isinstance(d, Deletion) for d in deletions)
    assert deletions[-1].id == gone.id and deletions[-1].kind == "order" and deletions[-1].store == "b2c"
    recent = list(c.iter_deletions(since=mark))
    assert [d.id for d in recent] == [gone.id]
    with pytest.raises(MoulinNotFound):
        c.get_order(gone.id)


def test_tick_changes_are_seen_by_an_incremental_sync(fresh):
    store, server = fresh
    c = client(server, page_size=10)
    mark = store.now
    changes = c._session.post(f"{server.url}/_admin/tick", json={"edits": 6}).json()["changes"]
    assert changes
    changed = {ch["order"] for ch in changes if ch["action"] != "delete"}
    deleted = {ch["order"] for ch in changes if ch["action"] == "delete"}
    assert {o.id for o in c.iter_orders(updated_since=mark)} == changed - deleted
    assert {d.id for d in c.iter_deletions(since=mark)} == deleted
    # Same seed, same tick: the timeline is reproducible.
    twin_store, twin_server = start_sample_store(orders=60, seed=11)
    try:
        assert client(twin_server)._session.post(f"{twin_server.url}/_admin/tick", json={"edits": 6}).json()[
            "changes"] == changes
    finally:
        twin_server.stop()


def test_bad_records_come_through_as_errors_without_stopping_the_iteration():
    store, server = start_sample_store(orders=200, seed=3, bad_records=0.15)
    try:
        records = list(client(server, page_size=9).iter_orders())
        errors = [r for r in records if isinstance(r, RecordError)]
        counts = store.count()
        assert len(records) == counts["orders"]
        assert len(errors) == counts["bad_orders"] > 0
        assert all(e.kind == "order" and e.record_id and e.errors for e in errors)
        customers = list(client(server).iter_customers())
        assert any(isinstance(c, RecordError) and "email" in str(c) for c in customers)
    finally:
        server.stop()


@pytest.mark.parametrize("body, field", [([1, 2], "body"), ({"edits": "many"}, "edits"), ({"edits": -1}, "edits")])
def test_a_bad_tick_is_a_400_naming_what_was_wrong(fresh, body, field):
    _store, server = fresh
    answer = client(server)._session.post(f"{server.url}/_admin/tick", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == field
