"""A push reaches an idle worker at once: the real-time consumer never backs off to Huey's 10 s polling.

Huey's consumer polls a non-blocking queue (SQLite) with a back-off: from `initial_delay` 0.1 s, times `backoff`
1.15 per empty poll, up to `max_delay` 10 s (huey/consumer.py `Consumer.__init__`, docs/consumer.rst). After a
quiet minute a push waited seconds. How long it waits now is measured by `bench.realtime`; here, that the
worker's consumers are built without that back-off.
"""
from __future__ import annotations

from hubspot_app.cli.worker import consumers


def test_the_realtime_consumer_polls_every_tenth_of_a_second_even_when_idle(app):
    realtime, bulk = consumers(app.extensions["moulin.jobs"], workers=2, bulk_workers=1)
    assert (realtime.default_delay, realtime.max_delay, realtime.backoff) == (0.1, 0.1, 1.0)
    assert realtime.periodic and not bulk.periodic  # the schedule runs once per worker, on the real-time side
    assert len(realtime.worker_threads) == 2 and len(bulk.worker_threads) == 1
