"""Process memory: the settings of every `moulin-hubspot` process (the worker, the sync commands), the garbage
collector's thresholds and glibc's mmap threshold (`tune`), and the heap given back between a sync's chunks (`trim`).

The web processes keep CPython's and glibc's defaults: gunicorn builds their app itself, and a request allocates
little."""
from __future__ import annotations

import ctypes
import gc
import platform

# CPython collects its youngest generation every 700 allocations net of frees, its middle one every 10 of those,
# its oldest every 10 of the middle's. A sync allocates millions of objects that reference counting frees, and
# each chunk's plan lives for a while: at the default every plan was scanned again and again as it aged through
# the generations. Measured on a 10k backfill: 3.3 s of its 15 s of CPU in the collector at 700, 0.7 s at 10,000;
# on a 100k one: 10.5 s of 122 s at 10,000, 4.5 s of 115 s at 100,000, for the same peak memory (docs/sync.md,
# "Benchmarks"). Cyclic garbage still goes, a little later.
YOUNG_THRESHOLD = 100_000

# glibc serves a block of 128 KiB or more with its own mmap, given back when freed; but after each such free it
# raises that threshold to the freed block's size (up to 32 MiB), so a sync's large, short-lived buffers (a page
# of orders, an answer's JSON) then come from the heap, which fragments and stays: `man 3 mallopt`,
# M_MMAP_THRESHOLD ("dynamic adjustment ... is disabled if ... M_MMAP_THRESHOLD ... is set"). Fixed at 128 KiB:
# a 100k backfill's peak RSS 194.4 / 199.1 -> 190.6 / 189.5 MB, the same CPU (docs/sync.md, 2026-12-02).
M_MMAP_THRESHOLD = -3  # <malloc.h>
MMAP_THRESHOLD = 128 * 1024

# The process's C library where it is glibc, whose allocator these calls are for (musl and macOS have neither).
_GLIBC = ctypes.CDLL(None) if platform.libc_ver()[0] == "glibc" else None


def tune() -> None:
    """Set the collector's thresholds, and glibc's mmap threshold."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    if _GLIBC is not None:
        _GLIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def trim() -> None:
    """Give the heap's free pages back (glibc's malloc_trim): a landed chunk leaves freed pages behind (request
    bodies, rows) that glibc keeps mapped, which made a long backfill's memory creep a little with every chunk."""
    if _GLIBC is not None:
        _GLIBC.malloc_trim(0)
