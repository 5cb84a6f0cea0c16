"""Benchmark the backfill: sample Moulin store -> HubSpot sandbox at HubSpot's real rate limit.

    python -m bench.sync --orders 10000 --json
    python -m bench.sync --orders 10000 --target both --json
    python -m bench.sync --orders 10000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --json

Prints one JSON object. The sandbox runs in real time (no clock scaling) and limits each portal to 110
requests per rolling 10 s like HubSpot. The backfill runs in a process of its own (spawned, fresh
interpreter) while the sandbox and the store serve from this one, so `rss_mb` and `cpu_ms_per_order` are
the sync's alone and `standins_cpu_s` is what the stand-ins cost. Portal setup (properties, pipeline) runs
first and is not counted: `hubspot_calls` are the sync's own requests, as the sandbox logged them.

- minimal_calls: lower bound for the objects and associations that ended up in HubSpot (100 objects per
  batch call, 2,000 associations per v4 call), for every target the store has (`--target deals|orders|both`:
  HubSpot orders, their own line items and their associations count like deals'); call_ratio = hubspot_calls /
  minimal_calls
- floor_s: hubspot_calls at HubSpot's 110 requests / 10 s; floor_ratio = wall_s / floor_s
- naive_calls: one request per order, per line item and per association
- rss_mb: peak RSS of the sync process; rss_start_mb before the backfill, rss_by_orders sampled per chunk
  (flat memory: the samples stay level as orders grow)
- cpu_ms_per_order: the sync process's CPU during the backfill (all its threads) per order
- sync_errors: errors in the backfill's report; error_rows: the portal's `sync_errors` rows after it (recorded,
  open), which also count associations left incomplete
- database: the app's database, a SQLite file by default; with `--database-url` a scratch database made on that
  PostgreSQL server for the run (production's storage; the server's own CPU is in neither CPU figure)
"""
from __future__ import annotations

import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from bench.harness import (HUBSPOT_RATE, OBJECT_TYPES, SETTLE_S, StandIns, add_settle_option, association_kinds,
                           bench_parser, by_endpoint, current_rss_mb, machine, minimal_calls, peak_rss_mb, prepare,
                           print_result, process_cpu_s, recorded_errors, settle_rate_window, workdir)
from bench.processes import scratch_database


# HubSpot's own type of each planned type (an order's and a cart's own line items are HubSpot line items).
SANDBOX_TYPE = {"order_lines": "line_items", "cart_lines": "line_items"}


def _counts(state, portal_id: int) -> tuple[dict, dict]:
    objects, live = {}, {}
    for object_type in (*OBJECT_TYPES, "orders", "carts"):
        records = [r for r in state.objects(portal_id, object_type).values() if not r.archived]
        objects[object_type] = len(records)
        live[object_type] = [r.id for r in records]
    graph = state.portal(portal_id).associations
    associations = {}
    for kind in association_kinds():
        source, target = (SANDBOX_TYPE.get(t, t) for t in kind[:2])
        associations[kind] = sum(1 for i in live[source] if graph.targets(source, i, target))
    return {t: n for t, n in objects.items() if n}, {k: n for k, n in associations.items() if n}


def backfill_process(env: dict, portal_id: int, chunk: int) -> dict:
    """Runs in the spawned sync process: the real backfill service, tokens from the install area."""
    from hubspot_app import create_app, memory
    from hubspot_app.sync.backfill import backfill

    app = create_app(env)
    memory.tune()  # as every `moulin-hubspot` process (cli.load_app)
    done, samples = [0], []

    def progress(orders: int) -> None:
        done[0] += orders
        samples.append([done[0], current_rss_mb()])

    with app.app_context():
        rss_start, cpu_start, started = current_rss_mb(), process_cpu_s(), time.perf_counter()
        report = backfill(portal_id, chunk=chunk, progress=progress)
        wall_s, cpu_s = time.perf_counter() - started, process_cpu_s() - cpu_start
        rows = _error_rows(app, portal_id)
    return {"report": report, "wall_s": wall_s, "cpu_s": cpu_s, "rss_mb": peak_rss_mb(), "rss_start_mb": rss_start,
            "rss_by_orders": samples, "error_rows": rows}


def _error_rows(app, portal_id: int) -> dict:
    """The portal's `sync_errors` rows, as the sync health page lists them: every one the run recorded (a record
    refused, an association left incomplete) and those still open at its end."""
    from hubspot_app.db.repository import open_errors

    with app.extensions["moulin.db"].session() as session:
        still_open = len(open_errors(session, portal_id))
    return {"recorded": recorded_errors(app, portal_id), "open": still_open}


def run_backfill_process(env: dict, portal_id: int, chunk: int) -> dict:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(backfill_process, env, portal_id, chunk).result()


def run(orders: int, seed: int, chunk: int, latency_ms: float = 0.0, target: str = "deals",
        settle_s: float = SETTLE_S, database_url: str | None = None) -> dict:
    folder = workdir("sync")
    with scratch_database(database_url, folder) as database:
        return {**_run(orders, seed, chunk, latency_ms, target, settle_s, folder, database),
                "database": "postgresql" if database_url else "sqlite"}


def _run(orders: int, seed: int, chunk: int, latency_ms: float, target: str, settle_s: float, folder,
         database: str) -> dict:
    stand_ins = StandIns(latency_ms=latency_ms)
    try:
        prepared = prepare(stand_ins, orders, seed, folder, target, database_url=database)
        installed = prepared.installed
        setup_calls = len(stand_ins.calls(installed.portal_id))
        settle_rate_window(settle_s)
        load, since, standins_cpu = machine(), time.time(), process_cpu_s()
        sync = run_backfill_process(prepared.env, installed.portal_id, chunk)
        standins_cpu = process_cpu_s() - standins_cpu
        calls = stand_ins.calls(installed.portal_id, since)
        objects, associations = _counts(stand_ins.state, installed.portal_id)
    finally:
        stand_ins.stop()
    report, wall_s = sync["report"], sync["wall_s"]
    synced = sum(s.get("orders", 0) for s in report["stores"])
    floor_s = len(calls) / HUBSPOT_RATE
    minimal = minimal_calls(objects, associations)
    return {
        "orders": orders,
        "target": target,
        "orders_synced": synced,
        "hubspot_calls": len(calls),
        "minimal_calls": minimal,
        "call_ratio": round(len(calls) / minimal, 4) if minimal else None,
        "wall_s": round(wall_s, 2),
        "floor_s": round(floor_s, 2),
        "floor_ratio": round(wall_s / floor_s, 4) if floor_s else None,
        "naive_calls": orders + objects["line_items"] + sum(associations.values()),
        **{name: sync[name] for name in ("rss_mb", "rss_start_mb", "rss_by_orders", "error_rows")},
        "cpu_s": round(sync["cpu_s"], 2),
        "cpu_ms_per_order": round(sync["cpu_s"] * 1000 / synced, 3) if synced else None,
        "standins_cpu_s": round(standins_cpu, 2),
        "objects": objects,
        "associations": {f"{k[0]}->{k[1]}": n for k, n in associations.items()},
        # where the time went, summed over the executor's concurrent calls:
        # waiting for HubSpot's answers, and waiting for our limiter
        "hubspot_call_s": report["hubspot_call_s"],
        "limiter_wait_s": report["limiter_wait_s"],
        "setup_calls": setup_calls,
        "sync_errors": sum(s.get("errors", 0) for s in report["stores"]),
        "rate_limit": "sandbox 110 req / 10 s rolling, real time (no clock scaling); floors at 110 / 10 s"
                      + (f"; sandbox latency {latency_ms:g} ms per call" if latency_ms else ""),
        "chunk": chunk,
        "by_endpoint": by_endpoint(calls),
        "machine": load,
        "machine_after": machine(),
    }


def main(argv: list[str] | None = None) -> int:
    from hubspot_app.sync.backfill import CHUNK

    parser = bench_parser(__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=CHUNK)
    parser.add_argument("--target", choices=("deals", "orders", "both"), default="deals",
                        help="the store's target: deals, HubSpot's orders, or both from one read")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="the sandbox answers each API call this much later (real HubSpot: a few hundred ms)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server URL: the run makes a scratch database there (default: SQLite file)")
    add_settle_option(parser)
    return print_result(parser, argv, run)


if __name__ == "__main__":
    sys.exit(main())
