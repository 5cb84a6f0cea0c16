"""The sample store's account admin (delete, change email, merge), as its back office API answers it."""
from sandbox.moulin import SampleStore, create_moulin_app


def admin():
    store = SampleStore(orders=30, seed=7)
    return store, create_moulin_app(store).test_client()


def test_delete_a_customer_keeps_its_orders_and_lists_the_deletion():
    store, client = admin()
    customer_id = next(o["customer_id"] for o in store.iter_raw("orders") if o.get("customer_id"))
    orders = store.orders_of(customer_id)
    assert client.delete(f"/_admin/customers/{customer_id}").status_code == 204
    assert store.get("customers", customer_id) is None
    assert [o["id"] for o in store.orders_of(customer_id)] == [o["id"] for o in orders]
    assert {"kind": "customer", "id": customer_id} in [{k: d[k] for k in ("kind", "id")}
                                                       for d in store.deletions_page(limit=1000).data]
    assert client.delete(f"/_admin/customers/{customer_id}").status_code == 404


def test_change_an_email_and_refuse_one_that_is_not_an_address():
    store, client = admin()
    customer_id = store.gen.collections["customers"].id_of(0)
    answer = client.post(f"/_admin/customers/{customer_id}/email", json={"email": "Neuve@Exemple.fr"})
    assert answer.status_code == 200 and store.get("customers", customer_id)["email"] == "Neuve@Exemple.fr"
    bad = client.post(f"/_admin/customers/{customer_id}/email", json={"email": 42})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "email"


def test_merge_moves_every_order_then_deletes_the_merged_account():
    store, client = admin()
    ids = [store.gen.collections["customers"].id_of(k) for k in range(store.gen.n_customers)]
    into, merged = [i for i in ids if store.orders_of(i)][:2]
    moved = {o["id"] for o in store.orders_of(merged)} | {o["id"] for o in store.orders_of(into)}
    assert client.post(f"/_admin/customers/{into}/merge", json={"from": merged}).status_code == 200
    assert {o["id"] for o in store.orders_of(into)} == moved and store.get("customers", merged) is None
    assert client.post(f"/_admin/customers/{into}/merge", json={"from": into}).status_code == 400
    assert client.post(f"/_admin/customers/{into}/merge", json={}).get_json()["error"]["field"] == "from"
    assert client.post(f"/_admin/customers/{into}/merge", json={"from": merged}).status_code == 404
