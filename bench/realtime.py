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
  at once); call_ratio = hubspot_calls / minimal_calls. Planning the whole run at once means the first edit
  waits for the last one (10 s for 100 edits at 10/s), so no plan meeting the latency targets reaches it:
- minimal_calls_windowed: the same plan for edits gathered per --window-s of sending time (each window's
  edited orders, their new line items, their contacts whose totals changed, in full batches), the fewest
  calls for which an edit waits no more than a window; call_ratio_windowed = hubspot_calls / that
- batches: what the worker did (its log): how many gathered batches, events per batch, and the median and
  worst of each step: the oldest push's receipt -> its batch's start (waited: claim and gathering window),
  the batch (batch), in it the Moulin reads (read), then inside the sync the
  database load, the pure plan, the HubSpot calls and the write (sync.orders.done's phases_ms)
- receipt_ms: edit sent -> the push stored by the app (moulin_events.received_at), p50 and p95
"""
from __future__ import annotations

import itertools
import json
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import requests

from bench.harness import (SETTLE_S, StandIns, add_settle_option, bench_parser, by_endpoint, changed_objects,
                           hubspot_snapshot, machine, minimal_calls, percentile, prepare, print_result,
                           settle_rate_window, workdir)
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


def _windowed_minimal(state, portal_id: int, deals: dict[str, str], sent: list[tuple[str, float]],
                      before: dict, after: dict, window_s: float) -> int:
    """The fewest calls when edits are gathered per `window_s` of sending time: per window, its orders' deals,
    one new line item per edit (and its association), and the contacts of those orders whose totals changed."""
    graph = state.portal(portal_id).associations
    changed_contacts = {i for i, props in after["contacts"].items() if before["contacts"].get(i) != props}
    began, windows = sent[0][1] if sent else 0.0, {}
    for order_id, at in sent:
        windows.setdefault(int((at - began) // window_s), []).append(order_id)
    total = 0
    for order_ids in windows.values():
        contacts = {c for o in set(order_ids) for c in graph.targets("deals", deals[o], "contacts")} & changed_contacts
        objects = {"deals": len(set(order_ids)), "line_items": len(order_ids), "contacts": len(contacts)}
        total += minimal_calls({t: n for t, n in objects.items() if n}, {("line_items", "deals"): len(order_ids)})
    return total


def _worker_batches(log: Path) -> dict:
    """The gathered batches the worker logged, and where their time went (median and worst per step, ms)."""
    batches, phases = [], {}
    for line in log.read_text().splitlines():
        if '"sync.push.batch_done"' not in line and '"sync.orders.done"' not in line:
            continue
        entry = json.loads(line)
        if entry["event"] == "sync.push.batch_done":
            batches.append(entry)
            for name in ("waited_ms", "read_ms", "batch_ms"):
                phases.setdefault(name.removesuffix("_ms"), []).append(entry.get(name, 0))
        else:
            for name, ms in (entry.get("phases_ms") or {}).items():
                phases.setdefault(name, []).append(ms)
    sizes = [b["events"] for b in batches]
    return {"count": len(batches), "events_median": statistics.median(sizes) if sizes else None,
            "events_max": max(sizes, default=None),
            "steps_ms": {name: {"median": statistics.median(v), "max": max(v)} for name, v in phases.items() if v}}


def _receipts_ms(app, sent: list[tuple[str, float]]) -> dict:
    """Edit sent -> push stored by the app, per edit (the n-th edit of an order -> its n-th event)."""
    from sqlalchemy import select

    from hubspot_app.db.models import MoulinEvent

    with app.extensions["moulin.db"].session() as session:
        rows = session.execute(select(MoulinEvent.record_id, MoulinEvent.received_at).order_by(MoulinEvent.id)).all()
    received: dict[str, list[float]] = {}
    for record_id, at in rows:
        received.setdefault(record_id, []).append(at.timestamp())
    waits = [(received[o].pop(0) - at) * 1000 for o, at in sent if received.get(o)]
    return {"p50": _ms(percentile(waits, 0.5)), "p95": _ms(percentile(waits, 0.95))}


def _wait_processed(app, timeout_s: float) -> None:
    """Until the worker has processed every pushed event: the snapshot then holds everything it wrote."""
    from sqlalchemy import func, select

    from hubspot_app.db.models import MoulinEvent

    deadline = time.time() + timeout_s
    while time.time() < deadline:
        with app.extensions["moulin.db"].session() as session:
            if not session.scalar(select(func.count()).where(MoulinEvent.processed_at.is_(None))):
                return
        time.sleep(0.1)


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
        timeout_s: float, window_s: float, settle_s: float = SETTLE_S) -> dict:
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
            settle_rate_window(settle_s)
            load, since, before = machine(), time.time(), hubspot_snapshot(stand_ins.state, installed.portal_id)
            sent = _send_edits(prepared.store_url, targets, rate)
            seen = _latencies(stand_ins.state, installed.portal_id, deals, sent, timeout_s)
            _wait_processed(prepared.app, timeout_s)
            calls = stand_ins.calls(installed.portal_id, since)
            after = hubspot_snapshot(stand_ins.state, installed.portal_id)
            objects, associations = _minimal_plan(before, after)
            windowed = _windowed_minimal(stand_ins.state, installed.portal_id, deals, sent, before, after, window_s)
            receipts = _receipts_ms(prepared.app, sent)
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
        "window_s": window_s, "minimal_calls_windowed": windowed,
        "call_ratio_windowed": round(len(calls) / windowed, 3) if windowed else None,
        "batches": _worker_batches(folder / "worker.log"), "receipt_ms": receipts,
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
    parser.add_argument("--window-s", type=float, default=1.0,
                        help="gathering window of minimal_calls_windowed (seconds of sending time)")
    add_settle_option(parser)
    return print_result(parser, argv, run)


if __name__ == "__main__":
    sys.exit(main())
