"""Memory stays flat while N generated orders are paged through the client and the sample store.

    python -m bench.moulin_memory --orders 1000000 --json

Client and sample store run in this one process (the store on a loopback
thread), so the RSS figures cover both sides. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from hubspot_app.moulin.address_guard import AddressPolicy
from hubspot_app.moulin.client import MoulinClient
from hubspot_app.domain.records import RecordError
from sandbox.moulin import start_sample_store

WARM_PAGES = 10


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def run(orders: int, seed: int, page_size: int) -> dict:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per page is noise here
    store, server = start_sample_store(orders=orders, seed=seed)
    try:
        client = MoulinClient(server.url, store.api_key, page_size=page_size, timeout=60,
                              policy=AddressPolicy(allow_private=True))  # the sample store is on loopback
        client.ping()
        rss_start = _status_mb("VmRSS")
        peak = rss_start
        warm = None  # RSS once the first pages' working set exists: growth after it is what a leak would show
        seen = errors = 0
        started = time.perf_counter()
        for record in client.iter_orders():
            seen += 1
            errors += isinstance(record, RecordError)
            if seen % page_size == 0:
                peak = max(peak, _status_mb("VmRSS"))
                if seen == WARM_PAGES * page_size:
                    warm = peak
        wall = time.perf_counter() - started
        peak = max(peak, _status_mb("VmRSS"))
    finally:
        server.stop()
    growth = peak - rss_start
    return {"orders": seen, "pages": -(-seen // page_size), "wall_s": round(wall, 1),
            "rss_start_mb": round(rss_start, 1), "rss_peak_mb": round(peak, 1), "rss_growth_mb": round(growth, 1),
            "rss_growth_per_100k_orders_mb": round(growth / max(seen, 1) * 100_000, 2), "record_errors": errors,
            "rss_after_warmup_mb": round(warm or peak, 1), "rss_growth_after_warmup_mb": round(peak - (warm or peak), 1),
            "page_size": page_size}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(args.orders, args.seed, args.page_size)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:32} {value}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
