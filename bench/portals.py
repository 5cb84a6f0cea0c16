"""Several portals backfilling at once: worker processes sharing the Redis queue and the Redis limiter.

    python -m bench.portals --portals 10 --orders 10000 --json [--workers 2 --threads 5 --bulk-threads 1]

Each portal gets its own sample store (--orders orders); one `sync.backfill` job per portal is enqueued
on the Redis queue and real `moulin-hubspot worker` processes take them. The HubSpot sandbox limits every
portal to 110 requests / 10 s, as HubSpot does, so a portal's best possible time is its own floor:
its calls / 11 per s. Prints one JSON object:

- portals: per portal, outcome ("done", or "failed: ..." from the backfill job's dead-letter row), wall_s
  (first HubSpot call -> checkpoint done), floor_s, floor_ratio, calls, queued_s (enqueue -> first call: worker start-up,
  a free thread, and the backfill's reading before its first call). The workers run their periodic jobs too (a poll every 5 minutes), as deployed.
- floor_ratio_max / floor_ratio_median: over the portals; makespan_s: enqueue -> last portal done
- per portal, no_call_s: the sum of the gaps of more than 1 s between two HubSpot calls of that portal
  (its sync was reading Moulin, writing the database, or waiting for a thread or a CPU, not for HubSpot's
  rate), and paced_s = wall_s - no_call_s: the time its calls were flowing
- cpu_ms_per_order: the worker processes' CPU (start-up included) per order synced
- cpu_s: where the machine's CPU went during the run: workers; the stand-ins, measured per request:
  sandbox (HubSpot) and stores (the sample Moulin stores); bench (the rest of this process: polling for
  the outcome, the stand-ins' HTTP plumbing); capacity = makespan x cores; other = capacity minus all of
  those: idle, or other load on the machine (see machine)

Redis must be free at --redis-url (a db number no one else uses): the run refuses a non-empty db and
empties it afterwards. --database-url postgresql+psycopg://... runs on a fresh PostgreSQL database.
"""
from __future__ import annotations

import statistics
import sys
import time

from bench.harness import (HUBSPOT_RATE, SETTLE_S, StandIns, add_settle_option, app_environment, bench_parser,
                           children_cpu_s, install, machine, print_result, process_cpu_s, recorded_errors,
                           settle_rate_window, workdir)
from bench.processes import own_redis_db, scratch_database, start_worker, stop_process


def _outcomes(app, portal_ids: list[int]) -> dict[int, str]:
    """Portals whose backfill ended: "done" (checkpoint done) or "failed: ..." (its job's dead-letter row)."""
    from sqlalchemy import select

    from hubspot_app.db.models.sync import SyncCheckpoint, SyncError

    with app.extensions["moulin.db"].session() as session:
        done = set(session.scalars(select(SyncCheckpoint.portal_id).where(
            SyncCheckpoint.mode == "backfill", SyncCheckpoint.done.is_(True))))
        failed = dict(session.execute(select(SyncError.portal_id, SyncError.message).where(
            SyncError.kind == "job", SyncError.source_key.startswith("sync.backfill:"),
            SyncError.resolved_at.is_(None))).all())
    return {p: "done" if p in done else f"failed: {failed[p][:200]}" for p in portal_ids if p in done or p in failed}


def _wait_all(app, portal_ids: list[int], timeout_s: float) -> dict[int, tuple[float, str]]:
    """When (time.time()) and how each portal's backfill ended; missing ones did not end in time."""
    ended: dict[int, tuple[float, str]] = {}
    deadline = time.time() + timeout_s
    while len(ended) < len(portal_ids) and time.time() < deadline:
        for portal_id, outcome in _outcomes(app, portal_ids).items():
            ended.setdefault(portal_id, (time.time(), outcome))
        time.sleep(0.2)
    return ended


def _portal_figures(stand_ins: StandIns, portal_id: int, enqueued: float, ended: tuple[float, str] | None) -> dict:
    calls = stand_ins.calls(portal_id, since=enqueued)
    figures = {"portal_id": portal_id, "calls": len(calls), "outcome": ended[1] if ended else "not ended",
               "finished": bool(ended) and ended[1] == "done"}
    if not calls or not figures["finished"]:
        return figures
    wall_s, floor_s = ended[0] - calls[0].at, len(calls) / HUBSPOT_RATE
    stamps = [c.at for c in calls] + [ended[0]]
    no_call_s = sum(gap for gap in (b - a for a, b in zip(stamps, stamps[1:])) if gap > 1.0)
    return {**figures, "wall_s": round(wall_s, 2), "floor_s": round(floor_s, 2),
            "floor_ratio": round(wall_s / floor_s, 3) if floor_s else None, "queued_s": round(calls[0].at - enqueued, 2),
            "no_call_s": round(no_call_s, 2), "paced_s": round(wall_s - no_call_s, 2)}


def run(portals: int, orders: int, seed: int, workers: int, threads: int, redis_url: str,
        database_url: str | None, timeout_s: float, bulk_threads: int = 1, settle_s: float = SETTLE_S) -> dict:
    from hubspot_app import create_app

    folder = workdir("portals")
    stand_ins = StandIns()
    try:
        with own_redis_db(redis_url), scratch_database(database_url, folder) as database:
            env = app_environment(stand_ins.hubspot.url, folder, database_url=database, redis_url=redis_url)
            app = create_app(env)
            app.extensions["moulin.db"].create_all()
            portal_ids = []
            for i in range(portals):
                store, server = stand_ins.add_store(orders, seed + i)
                portal_ids.append(install(app, stand_ins, store, server.url).portal_id)
            settle_rate_window(settle_s)
            load, cpu_children, cpu_self, cpu_standins = machine(), children_cpu_s(), process_cpu_s(), stand_ins.cpu_s()
            enqueued = time.time()
            with app.app_context():
                for portal_id in portal_ids:
                    app.extensions["moulin.jobs"].enqueue("sync.backfill", portal_id)
            processes = [start_worker(env, threads, folder / f"worker{n}.log", bulk_threads) for n in range(workers)]
            try:
                ended = _wait_all(app, portal_ids, timeout_s)
            finally:
                for process in processes:
                    stop_process(process)
            workers_cpu, bench_cpu = children_cpu_s() - cpu_children, process_cpu_s() - cpu_self
            standins_cpu = {k: v - cpu_standins[k] for k, v in stand_ins.cpu_s().items()}
            makespan = max((at for at, _ in ended.values()), default=time.time()) - enqueued
            per_portal = [_portal_figures(stand_ins, p, enqueued, ended.get(p)) for p in portal_ids]
            errors = recorded_errors(app)
            app.extensions["moulin.db"].dispose()
    finally:
        stand_ins.stop()
    synced = sum(store.count()["valid_orders"] for store, _ in stand_ins.stores)
    ratios = [p["floor_ratio"] for p in per_portal if p.get("floor_ratio")]
    return {
        "portals": per_portal, "orders_per_portal": orders, "orders_total": synced,
        "finished_portals": sum(p["finished"] for p in per_portal), "floor_ratio_max": max(ratios, default=None),
        "floor_ratio_median": statistics.median(ratios) if ratios else None, "makespan_s": round(makespan, 2),
        "cpu_ms_per_order": round(workers_cpu * 1000 / synced, 3) if synced else None,
        "cpu_s": _cpu_split(workers_cpu, bench_cpu, standins_cpu, makespan * (load["cpus"] or 1)),
        "sync_errors": errors, "workers": workers, "threads_per_worker": threads,
        "bulk_threads_per_worker": bulk_threads,
        "queue": "redis", "database": "postgresql" if database_url and "postgresql" in database_url else "sqlite",
        "rate_limit": "sandbox 110 req / 10 s per portal, real time; floors at 110 / 10 s",
        "machine": load, "machine_after": machine(),
    }


def _cpu_split(workers: float, this_process: float, standins: dict[str, float], capacity: float) -> dict:
    used = {"workers": workers, **standins, "bench": this_process - sum(standins.values())}
    return {**{k: round(v, 2) for k, v in used.items()}, "capacity": round(capacity, 2),
            "other": round(capacity - workers - this_process, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--portals", type=int, default=10)
    parser.add_argument("--orders", type=int, default=10000, help="orders per portal (one store each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=5, help="real-time threads per worker process")
    parser.add_argument("--bulk-threads", type=int, default=1,
                        help="bulk threads per worker process (backfill slices; the worker's --bulk-workers)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="an empty Redis db for this run")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL (a scratch db is made there)")
    parser.add_argument("--timeout-s", type=float, default=1800)
    add_settle_option(parser)
    return print_result(parser, argv, run)


if __name__ == "__main__":
    sys.exit(main())
