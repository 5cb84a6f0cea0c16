"""`sources.read_ahead`: Moulin's next records are read on a thread while the caller works on these."""
from __future__ import annotations

import itertools
import threading

import pytest

from hubspot_app.moulin.errors import MoulinError
from hubspot_app.sync.sources import read_ahead


def test_the_reader_runs_ahead_of_the_caller_and_keeps_the_order(app):
    produced, more = [], threading.Condition()

    def records():
        for i in range(10):
            with more:
                produced.append(i)
                more.notify_all()
            yield i

    with app.app_context():
        items = read_ahead(records(), depth=5)
        assert next(items) == 0
        with more:  # a plain loop would have read one record per record taken
            assert more.wait_for(lambda: len(produced) >= 6, timeout=10), produced
        assert list(items) == list(range(1, 10))


def test_a_failed_read_reaches_the_caller_after_the_records_before_it(app):
    def records():
        yield "first"
        raise MoulinError("page 2: store unreachable")

    seen = []
    with app.app_context(), pytest.raises(MoulinError, match="page 2"):
        for record in read_ahead(records()):
            seen.append(record)
    assert seen == ["first"]


def test_leaving_early_stops_the_reader(app):
    with app.app_context():
        items = read_ahead(itertools.count(), depth=3)
        assert [next(items) for _ in range(3)] == [0, 1, 2]
        items.close()
    assert not [t for t in threading.enumerate() if t.name == "moulin-read-ahead"]
