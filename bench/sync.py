"""Benchmark the backfill: sample Moulin store -> HubSpot sandbox at HubSpot's real rate limit.

    python -m bench.sync --orders 5000 --json

Prints one JSON object. The sandbox runs in real time (no clock scaling) and
limits each portal to 110 requests per rolling 10 s like HubSpot; our limiter
keeps under 100 per 10 s. Portal setup (properties, pipeline) runs first and is
not counted: `hubspot_calls` are the sync's own requests, as the sandbox logged them.

- minimal_calls: lower bound for the objects and associations that ended up in
  HubSpot (100 objects per batch call, 2,000 associations per v4 call)
- naive_calls: one request per order, per line item and per association
- floor_s: hubspot_calls at 110 requests / 10 s; floor_ratio = wall_s / floor_s
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
import resource
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

HUBSPOT_RATE = 110 / 10.0  # requests per second per portal


def _counts(state, portal_id: int) -> tuple[dict, dict]:
    from hubspot_app.sync.planner import ASSOCIATION_ORDER

    objects, live = {}, {}
    for object_type in ("contacts", "companies", "products", "deals", "line_items"):
        records = [r for r in state.objects(portal_id, object_type).values() if not r.archived]
        objects[object_type] = len(records)
        live[object_type] = [r.id for r in records]
    graph = state.portal(portal_id).associations
    associations = {kind: sum(1 for i in live[kind[0]] if graph.targets(kind[0], i, kind[1]))
                    for kind in ASSOCIATION_ORDER}
    return objects, associations


def run(orders: int, seed: int, chunk: int, latency_ms: float = 0.0) -> dict:
    from hubspot_app import create_app
    from hubspot_app.config import Config
    from hubspot_app.db.models import Installation
    from hubspot_app.moulin.stores import connect_store
    from hubspot_app.sync import bootstrap
    from hubspot_app.sync.backfill import backfill
    from hubspot_app.sync.engine import setup_portal
    from hubspot_app.sync.planner import minimal_calls
    from sandbox.hubspot import start_sandbox
    from sandbox.moulin import start_sample_store

    state, hubspot = start_sandbox(latency_s=latency_ms / 1000)
    store, moulin = start_sample_store(orders=orders, seed=seed, store_code="b2c")
    workdir = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    config = Config(secret_key="bench", hubspot_client_id="bench", hubspot_client_secret="bench",
                    app_base_url="https://bench.invalid", token_encryption_keys=(Fernet.generate_key().decode(),),
                    database_url=f"sqlite:///{workdir / 'bench.sqlite3'}", hubspot_api_base=hubspot.url,
                    queue_immediate=True, queue_path=str(workdir / "queue.sqlite3"))
    app = create_app(config)
    app.extensions["moulin.db"].create_all()
    portal_id = state.create_portal()
    token = state.issue_tokens(portal_id)["access_token"]
    app.extensions[bootstrap.TOKEN_PROVIDER] = lambda _portal: token
    try:
        with app.app_context():
            with app.extensions["moulin.db"].session() as session:
                session.add(Installation(portal_id=portal_id, scopes="", status="active"))
                connect_store(session, app.extensions["moulin.cipher"], portal_id, "b2c", "bench", moulin.url,
                              store.api_key)
            setup = setup_portal(portal_id)
            time.sleep(10.5)  # let setup's requests leave the rolling window: measure the sync alone
            before = state.request_log.total()
            started = time.perf_counter()
            report = backfill(portal_id, chunk=chunk)
            wall_s = time.perf_counter() - started
        hubspot_calls = state.request_log.total() - before
        objects, associations = _counts(state, portal_id)
        floor_s = hubspot_calls / HUBSPOT_RATE
        minimal = minimal_calls(objects, associations)
        return {
            "orders": orders,
            "orders_synced": sum(s.get("orders", 0) for s in report["stores"]),
            "hubspot_calls": hubspot_calls,
            "minimal_calls": minimal,
            "call_ratio": round(hubspot_calls / minimal, 4) if minimal else None,
            "wall_s": round(wall_s, 2),
            "floor_s": round(floor_s, 2),
            "floor_ratio": round(wall_s / floor_s, 4) if floor_s else None,
            "naive_calls": orders + objects["line_items"] + sum(associations.values()),
            "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "objects": objects,
            "associations": {f"{k[0]}->{k[1]}": n for k, n in associations.items()},
            # where the time went, summed over the executor's concurrent calls:
            # waiting for HubSpot's answers, and waiting for our limiter
            "hubspot_call_s": report["hubspot_call_s"],
            "limiter_wait_s": report["limiter_wait_s"],
            "setup_calls": setup["hubspot_calls"],
            "sync_errors": sum(s.get("errors", 0) for s in report["stores"]),
            "rate_limit": "sandbox 110 req / 10 s rolling, real time (no clock scaling); client limiter 100 / 10 s"
                          + (f"; sandbox latency {latency_ms:g} ms per call" if latency_ms else ""),
            "chunk": chunk,
            "by_endpoint": dict(Counter(e.endpoint for e in state.request_log.entries()[before:])),
        }
    finally:
        moulin.stop()
        hubspot.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="the sandbox answers each API call this much later (real HubSpot: a few hundred ms)")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args(argv)
    result = run(args.orders, args.seed, args.chunk, args.latency_ms)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
