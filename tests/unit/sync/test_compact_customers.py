"""The catalogue's customers, held pickled outside the heap (`sync.sources.CompactCustomers`)."""
import threading

from hubspot_app.domain.batch import SourceBatch, order_facts
from hubspot_app.sync.sources import Catalogue, CompactCustomers

from .records import customer, order, product


def test_customers_come_back_equal_by_id_in_any_number_and_from_any_thread():
    held = CompactCustomers()
    assert held.pick(["c1"]) == {}  # nothing held yet
    for i in range(2000):
        held[f"c{i}"] = customer(f"c{i}", email=f"p{i}@example.com")
    held["c7"] = customer("c7", email="new@example.com")  # a later read of the same customer replaces it

    wanted = [f"c{i}" for i in range(0, 2000, 2)] + ["unknown"]  # more ids than one query takes
    picked = held.pick(wanted)
    assert set(picked) == set(wanted) - {"unknown"}
    assert picked["c10"] == customer("c10", email="p10@example.com")
    assert held.pick(["c7"])["c7"].email == "new@example.com"

    seen = {}
    thread = threading.Thread(target=lambda: seen.update(held.pick(["c1999"])))
    thread.start()
    thread.join()
    assert seen["c1999"].email == "p1999@example.com"


def test_emails_come_without_the_records_and_follow_the_latest_read():
    held = CompactCustomers()
    assert held.emails(["c1"]) == {}
    held["c1"] = customer("c1", email="first@example.com")
    held["c2"] = customer("c2", email=None)
    held["c1"] = customer("c1", email="second@example.com")
    assert held.emails(["c1", "c2", "unknown"]) == {"c1": "second@example.com", "c2": None}


def test_the_facts_pass_counts_each_order_under_its_customers_email():
    catalogue = Catalogue(products={"SKU-1": product("SKU-1")})
    catalogue.customers["c1"] = customer("c1", email="jane@example.com")
    orders = [order("o1", customer_id="c1"), order("o2", customer_id="gone"), order("o3", customer_id=None)]
    facts = catalogue.order_facts("b2c", orders)
    assert {key: email for key, (email, _) in facts.items()} == {
        "b2c:o1": "jane@example.com", "b2c:o2": None, "b2c:o3": None}  # unknown customer, guest
    batch = SourceBatch(store="b2c", orders=orders, products=catalogue.products)
    assert all(facts[o.key][1] == order_facts(o, batch) for o in orders)
