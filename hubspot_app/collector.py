"""The garbage collector's settings for every `moulin-hubspot` process (the worker, the sync commands).

The web processes keep CPython's defaults: gunicorn builds their app itself, and a request allocates little."""
from __future__ import annotations

import gc

# CPython collects its youngest generation every 700 allocations net of frees, its middle one every 10 of those,
# its oldest every 10 of the middle's. A sync allocates millions of objects that reference counting frees, and
# each chunk's plan lives for a while: at the default every plan was scanned again and again as it aged through
# the generations. Measured on a 10k backfill: 3.3 s of its 15 s of CPU in the collector at 700, 0.7 s at 10,000;
# on a 100k one: 10.5 s of 122 s at 10,000, 4.5 s of 115 s at 100,000, for the same peak memory (docs/sync.md,
# "Benchmarks"). Cyclic garbage still goes, a little later.
YOUNG_THRESHOLD = 100_000


def tune() -> None:
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
