"""The catalogue's customers, held pickled outside the heap (`sync.sources.CompactCustomers`)."""
import threading

from hubspot_app.sync.sources import CompactCustomers

from .records import customer


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
