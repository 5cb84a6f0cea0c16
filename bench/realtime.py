"""Real-time sync: store edits -> pushed to the app -> a worker process -> the deal changed in HubSpot.

    python -m bench.realtime --edits 20 --rate 1 --json        # spaced edits
    python -m bench.realtime --edits 100 --rate 10 --json      # a burst: 100 edits in 10 s

The sample store pushes every change, signed, to the app (gunicorn, as the Procfile runs it); a real
`moulin-hubspot worker` process takes the jobs from the queue (the embedded SQLite queue, or Redis with
--redis-url); the HubSpot sandbox limits the portal to 110 requests / 10 s. Each edit adds a line to a
different order (the order's amount changes, so its deal must be written). Edits are sent on an open-loop
schedule at --rate edits/s after a backfill (not measured). Prints one JSON object:

- p50_ms, p95_ms, max_ms: from the edit request to the sandbox's write of that order's deal
- calls_per_edit: the sandbox's API calls during the run / edits
- minimal_plan: what had to change in HubSpot during the run (objects new or with different properties, per
  type; new line item -> deal associations); minimal_calls is that plan in full batches (the whole run planned
  at once); call_ratio = hubspot_calls / minimal_calls
"""
from __future__ import annotations

import itertools
import sys
import time
from contextlib import nullcontext

import requests

from bench.harness import (StandIns, bench_parser, by_endpoint, changed_objects, hubspot_snapshot, machine,
                           minimal_calls, percentile, prepare, print_result, settle_rate_window, workdir)
from bench.processes import free_port, own_redis_db, start_web, start_worker, stop_process, wait_until_up


def _deals_by_order(state, portal_id: int, store_code: str) -> dict[str, str]:
    prefix = f"{store_code}:"
    return {r.properties["moulin_order_key"][len(prefix):]: r.id
            for r in state.objects(portal_id, "deals").values()
            if not r.archived and (r.properties.get("moulin_order_key") or "").startswith(prefix)}


def _send_edits(store_url: str, order_ids: list[str], rate: float) -> list[tuple[str, float]]:
    """Add a line to each order, edit i at i / rate s (open loop); when each edit was sent."""
    http, sent, began = requests.Session(), [], time.time()
    for i, order_id in enumerate(order_ids):
        time.sleep(max(0.0, began + i / rate - time.time()))
        at = time.time()
        http.post(f"{store_url}/_admin/orders/{order_id}", json={"action": "add_line"}, timeout=30).raise_for_status()
        sent.append((order_id, at))
    return sent


def _latencies(state, portal_id: int, deals: dict[str, str], sent: list[tuple[str, float]],
               timeout_s: float) -> list[float | None]:
    """Seconds from each edit to the first write of its deal after it (None: not seen within the timeout)."""
    deadline = time.time() + timeout_s
    while True:
        records = state.objects(portal_id, "deals")
        seen = [records[deals[o]].updated_at - at if records[deals[o]].updated_at >= at else None for o, at in sent]
        if all(s is not None for s in seen) or time.time() > deadline:
            return seen
        time.sleep(0.05)


def _minimal_plan(before: dict, after: dict) -> tuple[dict, dict]:
    """What had to change in HubSpot: objects new or with different properties, per type; new line items'
    deal associations. A write that re-sends identical values is not part of it."""
    new_lines = len(after["line_items"].keys() - before["line_items"].keys())
    return changed_objects(before, after), {("line_items", "deals"): new_lines} if new_lines else {}


def _start_app(env: dict, port: int, folder, web_workers: int, worker_threads: int) -> list:
    processes = [start_web(env, port, web_workers, folder / "web.log"),
                 start_worker(env, worker_threads, folder / "worker.log")]
    wait_until_up(env["APP_BASE_URL"])
    return processes


def run(edits: int, rate: float, orders: int, seed: int, redis_url: str, web_workers: int, worker_threads: int,
        timeout_s: float) -> dict:
    from hubspot_app.sync.backfill import backfill

    folder, stand_ins, port = workdir("realtime"), StandIns(), free_port()
    processes = []
    try:
        with own_redis_db(redis_url) if redis_url else nullcontext():
            prepared = prepare(stand_ins, orders, seed, folder, redis_url=redis_url, app_url=f"http://127.0.0.1:{port}")
            env, store, installed = prepared.env, prepared.store, prepared.installed
            with prepared.app.app_context():
                backfill(installed.portal_id)
            processes = _start_app(env, port, folder, web_workers, worker_threads)
            store.push_to(f"{env['APP_BASE_URL']}/moulin/push/{installed.store_id}", installed.push_secret)
            deals = _deals_by_order(stand_ins.state, installed.portal_id, store.store_code)
            targets = list(itertools.islice(itertools.cycle(sorted(deals)), edits))
            settle_rate_window()
            load, since, before = machine(), time.time(), hubspot_snapshot(stand_ins.state, installed.portal_id)
            sent = _send_edits(prepared.store_url, targets, rate)
            seen = _latencies(stand_ins.state, installed.portal_id, deals, sent, timeout_s)
            calls = stand_ins.calls(installed.portal_id, since)
            objects, associations = _minimal_plan(before, hubspot_snapshot(stand_ins.state, installed.portal_id))
    finally:
        for process in processes:
            stop_process(process)
        stand_ins.stop()
    found = [s * 1000 for s in seen if s is not None]
    minimal = minimal_calls(objects, associations)
    return {
        "edits": edits, "rate_per_s": rate, "distinct_orders": len(set(targets)), "deals_changed": len(found),
        "p50_ms": _ms(percentile(found, 0.5)), "p95_ms": _ms(percentile(found, 0.95)),
        "max_ms": _ms(max(found, default=None)),
        "hubspot_calls": len(calls), "calls_per_edit": round(len(calls) / edits, 3),
        "minimal_plan": {"objects": objects, "associations": {f"{a}->{b}": n for (a, b), n in associations.items()}},
        "minimal_calls": minimal, "call_ratio": round(len(calls) / minimal, 3) if minimal else None,
        "by_endpoint": by_endpoint(calls), "queue": "redis" if redis_url else "sqlite",
        "web_workers": web_workers, "worker_threads": worker_threads, "orders": orders,
        "machine": load, "machine_after": machine(),
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--rate", type=float, default=1.0, help="edits per second (open loop)")
    parser.add_argument("--orders", type=int, default=300, help="size of the sample store (backfilled first)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--redis-url", default="", help="an empty Redis db for the queue (default: SQLite queue)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--worker-threads", type=int, default=2)
    parser.add_argument("--timeout-s", type=float, default=60, help="how long to wait for the last deal")
    return print_result(parser, argv, run)


if __name__ == "__main__":
    sys.exit(main())
