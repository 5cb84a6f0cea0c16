"""Bulk listings (`read_ahead`) read one page ahead: the next page is on its way while the caller works on this one's
records; other listings read a page when the one before is used up."""
import threading

from hubspot_app.moulin.client import MoulinClient
from hubspot_app.moulin.errors import MoulinError

BASE = "http://moulin.test"


def _company(i: int) -> dict:
    return {"id": str(i), "name": f"Company {i}", "created_at": "2026-01-01T10:00:00+01:00", "updated_at": "2026-01-02T10:00:00+01:00"}


def _listing(requests_mock, second_page):
    def answer(request, context):
        if "cursor" not in request.qs:
            return {"data": [_company(1), _company(2)], "next_cursor": "p2"}
        return second_page(request, context)

    requests_mock.get(f"{BASE}/companies", json=answer)


def test_the_next_page_is_requested_before_this_page_is_used_up(requests_mock):
    asked = threading.Event()

    def second_page(request, context):
        asked.set()
        return {"data": [_company(3)], "next_cursor": None}

    _listing(requests_mock, second_page)
    records = MoulinClient(BASE, "k", read_ahead=True).iter_companies()
    assert next(records).id == "1"
    # the caller holds the first record of page one: page two is being read meanwhile
    assert asked.wait(5)
    assert [c.id for c in records] == ["2", "3"]


def test_a_reader_that_stops_does_not_wait_for_the_page_ahead(requests_mock):
    release = threading.Event()

    def second_page(request, context):
        release.wait(10)  # Moulin is slow with page two
        return {"data": [_company(3)], "next_cursor": None}

    _listing(requests_mock, second_page)
    records = MoulinClient(BASE, "k", read_ahead=True).iter_companies()
    assert next(records).id == "1"
    closing = threading.Thread(target=records.close)
    closing.start()
    closing.join(5)
    stopped_without_waiting = not closing.is_alive()
    release.set()
    assert stopped_without_waiting


def test_a_failure_of_the_page_ahead_comes_after_the_records_before_it(requests_mock):
    _listing(requests_mock, lambda request, context: {"next_cursor": None})  # page two has no data list
    records = MoulinClient(BASE, "k", read_ahead=True).iter_companies()
    assert [next(records).id, next(records).id] == ["1", "2"]
    try:
        next(records)
    except MoulinError as error:
        assert "page without a 'data' list" in str(error)
    else:
        raise AssertionError("a page without data must fail the listing")


def test_without_read_ahead_the_next_page_is_requested_only_when_this_page_is_used_up(requests_mock):
    _listing(requests_mock, lambda request, context: {"data": [_company(3)], "next_cursor": None})
    records = MoulinClient(BASE, "k").iter_companies()
    assert [next(records).id, next(records).id] == ["1", "2"]
    assert requests_mock.call_count == 1  # a reader that stops here never asked for page two
    assert [c.id for c in records] == ["3"]
    assert requests_mock.call_count == 2

