"""The garbage collector's settings for every `moulin-hubspot` process (the worker, the sync commands).

The web processes keep CPython's defaults: gunicorn builds their app itself, and a request allocates little."""
from __future__ import annotations

import gc

# CPython collects its youngest generation every 700 allocations net of frees. A sync allocates millions of
# short-lived objects (records, request and answer bodies, rows) that reference counting frees, so most of those
# collections find nothing: a 10k backfill spent 3.3 s of its 15 s of CPU in the collector, 0.7 s with a
# threshold of 10,000 (docs/sync.md, "Benchmarks"). Cyclic garbage still goes, a little later.
YOUNG_THRESHOLD = 10_000


def tune() -> None:
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
