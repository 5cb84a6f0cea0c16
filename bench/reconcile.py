"""Reconciling vanished orders: HubSpot calls for N orders the store no longer has, against a formula bound.

    python -m bench.reconcile --vanished 200 --orders 1000 --json

A sample store (--orders) is backfilled into the HubSpot sandbox (110 requests / 10 s, real time); the
reconcile service then runs twice, in a process of its own (the sync's, as a worker would run it): first
with nothing changed (baseline_calls: the read-backs every reconcile of this history makes, the formula's
constant), then after N orders were deleted in the store through its admin API. Prints one JSON object:

- hubspot_calls: the second reconcile's requests; touched: objects new, archived or changed in HubSpot by
  it, per type (associations removed are not counted as objects)
- bound_calls = ceil(N / 100) x (object types touched) + baseline_calls; bound_ratio = hubspot_calls / bound_calls
- minimal_calls = the touched objects in full batches + baseline_calls (a tighter floor)
- deleted_in_hubspot (with --deleted-in-hubspot M): a third reconcile after M deals of live orders were deleted
  in HubSpot with no webhook delivered; it re-creates them with fresh line items and archives the old ones
  (still on the deleted deals). Its hubspot_calls, touched, healed, by_endpoint, and bound_calls = ceil(M / 100)
  x (object types touched) + baseline_calls
"""
from __future__ import annotations

import math
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import requests

from bench.harness import (SETTLE_S, StandIns, add_settle_option, bench_parser, by_endpoint, changed_objects,
                           hubspot_snapshot, machine, minimal_calls, prepare, print_result, settle_rate_window,
                           workdir)


def reconcile_process(env: dict, portal_id: int) -> dict:
    """Runs in the spawned sync process: the real reconcile service, tokens from the install area."""
    from hubspot_app import create_app
    from hubspot_app.sync.reconcile import reconcile

    with create_app(env).app_context():
        started = time.perf_counter()
        report = reconcile(portal_id)
        return {"report": report, "wall_s": round(time.perf_counter() - started, 2)}


def _measured_reconcile(stand_ins: StandIns, env: dict, portal_id: int,
                        settle_s: float) -> tuple[dict, list, dict, dict]:
    """One reconcile in its own process, after the rate window settles: (its result, its calls, HubSpot
    before, HubSpot after)."""
    settle_rate_window(settle_s)
    before, since = hubspot_snapshot(stand_ins.state, portal_id), time.time()
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(reconcile_process, env, portal_id).result()
    return result, stand_ins.calls(portal_id, since), before, hubspot_snapshot(stand_ins.state, portal_id)


def _vanish(store_url: str, order_ids: list[str]) -> None:
    http = requests.Session()
    for order_id in order_ids:
        http.delete(f"{store_url}/_admin/orders/{order_id}", timeout=30).raise_for_status()


def _delete_deals_in_hubspot(state, portal_id: int, order_keys: list[str]) -> None:
    """As a person would in HubSpot's UI; no webhook reaches the app (none is delivered here)."""
    deals = {r.properties.get("moulin_order_key"): r.id for r in state.objects(portal_id, "deals").values()
             if not r.archived}
    for key in order_keys:
        state.user_delete(portal_id, "deals", deals[key])


def _hubspot_deletions(stand_ins: StandIns, env: dict, portal_id: int, keys: list[str], baseline: int,
                       settle_s: float) -> dict:
    _delete_deals_in_hubspot(stand_ins.state, portal_id, keys)
    result, calls, before, after = _measured_reconcile(stand_ins, env, portal_id, settle_s)
    touched = changed_objects(before, after)
    bound = math.ceil(len(keys) / 100) * len(touched) + baseline
    return {"deals": len(keys), "hubspot_calls": len(calls), "touched": touched, "bound_calls": bound,
            "healed": result["report"].get("healed"), "wall_s": result["wall_s"], "by_endpoint": by_endpoint(calls)}


def run(vanished: int, orders: int, seed: int, deleted_in_hubspot: int = 0, settle_s: float = SETTLE_S) -> dict:
    from hubspot_app.sync.backfill import backfill

    stand_ins = StandIns()
    try:
        prepared = prepare(stand_ins, orders, seed, workdir("reconcile"))
        env, installed, store = prepared.env, prepared.installed, prepared.store
        with prepared.app.app_context():
            backfill(installed.portal_id)
        load = machine()
        baseline, baseline_calls, _, _ = _measured_reconcile(stand_ins, env, installed.portal_id, settle_s)
        live = sorted(o.id for o in store.live_orders())
        if vanished > len(live):
            raise SystemExit(f"--vanished {vanished} is more than the {len(live)} orders the store has")
        _vanish(prepared.store_url, live[:vanished])
        result, calls, before, after = _measured_reconcile(stand_ins, env, installed.portal_id, settle_s)
        left = sorted(o.key for o in store.live_orders())
        if deleted_in_hubspot > len(left):
            raise SystemExit(f"--deleted-in-hubspot {deleted_in_hubspot} is more than the {len(left)} orders left")
        in_hubspot = _hubspot_deletions(stand_ins, env, installed.portal_id, left[:deleted_in_hubspot],
                                        len(baseline_calls), settle_s) if deleted_in_hubspot else None
    finally:
        stand_ins.stop()
    touched = changed_objects(before, after)
    bound = math.ceil(vanished / 100) * len(touched) + len(baseline_calls)
    minimal = minimal_calls(touched) + len(baseline_calls)
    return {
        "vanished": vanished, "orders": orders, "hubspot_calls": len(calls), "baseline_calls": len(baseline_calls),
        "touched": touched, "bound_calls": bound, "bound_ratio": round(len(calls) / bound, 3) if bound else None,
        "minimal_calls": minimal, "call_ratio": round(len(calls) / minimal, 3) if minimal else None,
        "archived": result["report"].get("archived"), "wall_s": result["wall_s"], "baseline_wall_s": baseline["wall_s"],
        "by_endpoint": by_endpoint(calls), "baseline_by_endpoint": by_endpoint(baseline_calls),
        "machine": load, "machine_after": machine(), **({"deleted_in_hubspot": in_hubspot} if in_hubspot else {}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--vanished", type=int, default=100, help="orders deleted in the store before reconciling")
    parser.add_argument("--orders", type=int, default=1000, help="size of the sample store (backfilled first)")
    parser.add_argument("--deleted-in-hubspot", type=int, default=0,
                        help="then deals deleted in HubSpot without a webhook, before a third reconcile")
    parser.add_argument("--seed", type=int, default=1)
    add_settle_option(parser)
    return print_result(parser, argv, run)


if __name__ == "__main__":
    sys.exit(main())
