"""Webhook receiver benchmark: the app under gunicorn on loopback, SQLite file database (or a scratch
PostgreSQL database with --database-url), the embedded (SQLite) Huey queue with a real worker process, and
signed 100-event deliveries posted concurrently.

    python -m bench.webhooks --json [--batches 300] [--clients 8] [--web-workers 4] [--rate 3000]
    python -m bench.webhooks --during-backfill --json [--orders 5000]
    python -m bench.webhooks --during-backfill --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --json

Two phases of --batches deliveries each. First at --rate events/s on an open-loop schedule: p50_ms and
p99_ms are the receiver's latency at that load. Then as fast as the clients can post: events_per_s is the
most the receiver accepts (saturated_p50_ms / saturated_p99_ms include queueing for a gunicorn worker).
processing_lag_s is the time from the last answer until the worker has processed every event;
processed_per_s is every event over the time from the first delivery to the last event processed.
With --during-backfill a real `moulin-hubspot sync backfill` process (sample store -> HubSpot sandbox at
110 requests / 10 s) writes to the same database the whole time, at the worker's CPU priority (in production
both are the worker dyno's): deliveries start once it makes HubSpot calls, and backfill_running_at_end says
whether it still ran when the last delivery was answered. Its stand-ins serve from a process of their own, not
from this one, whose threads time the receiver. Request bodies are built and signed before each
phase, so the latencies are the receiver's answer, not the client building 100 events.
Targets: >= 3,000 events/s accepted and processed, p99 < 100 ms.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable

import requests
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bench.backfill_beside import backfill_process, start_backfill
from bench.harness import machine
from bench.processes import ROOT, free_port, scratch_database, start_web, stop_process, wait_until_up
from sandbox.hubspot.webhook_delivery import signature_v3

PORTAL = 62515
SECRET = "bench-client-secret"


def environment(tmp: Path, base_url: str, database_url: str, hubspot_url: str | None) -> dict:
    hubspot = {"HUBSPOT_API_BASE": hubspot_url, "HUBSPOT_AUTH_BASE": hubspot_url} if hubspot_url else {}
    return dict(os.environ, SECRET_KEY="bench", HUBSPOT_CLIENT_ID="bench", HUBSPOT_CLIENT_SECRET=SECRET,
                APP_BASE_URL=base_url, TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(), HUBSPOT_APP_ID="4242",
                DATABASE_URL=database_url, QUEUE_PATH=str(tmp / "queue.sqlite3"), QUEUE_IMMEDIATE="", REDIS_URL="",
                ALLOW_PRIVATE_STORE_URLS="1", PYTHONPATH=str(ROOT), **hubspot)


def prepare_database(env: dict, links: int) -> None:
    from hubspot_app import create_app
    from hubspot_app.db.models import Installation, ObjectLink

    app = create_app(env)
    database = app.extensions["moulin.db"]
    database.create_all()
    with database.session() as session:
        session.add(Installation(portal_id=PORTAL, status="active", scopes=""))
        session.add_all(ObjectLink(portal_id=PORTAL, kind="contact", source_key=f"c{i}@bench.test", hubspot_id=str(i))
                        for i in range(links))
    database.dispose()


def delivery(batch: int, size: int) -> list[dict]:
    events = []
    for i in range(size):
        n = batch * size + i
        kind = ("contact.deletion", "contact.restore", "deal.deletion")[n % 3]
        events.append({"eventId": n, "subscriptionId": 2, "portalId": PORTAL, "appId": 4242, "attemptNumber": 0,
                       "occurredAt": 1_790_000_000_000 + n, "subscriptionType": kind, "objectId": n % 5000,
                       "changeSource": "CRM_UI"})
    return events


def signed(url: str, batch: int, size: int) -> tuple[str, dict]:
    body = json.dumps(delivery(batch, size))
    ts = int(time.time() * 1000)
    return body, {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": str(ts),
                  "X-HubSpot-Signature-v3": signature_v3(SECRET, "POST", url + "/webhooks/hubspot", body, ts)}


def post_all(url: str, batches: int, size: int, clients: int, first: int = 0,
             rate: float = 0) -> tuple[list[float], float, int]:
    """Post `batches` deliveries from `clients` threads; with `rate` (events/s) on an open-loop schedule.

    Bodies are made and signed beforehand (well within the 5-minute signature window): the client threads share
    one interpreter with the timer, so building 100 events there would count in the receiver's latency."""
    prepared = [signed(url, first + index, size) for index in range(batches)]
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    counter = iter(range(batches))
    began = time.perf_counter()

    def client() -> None:
        http = requests.Session()
        for index in iter(lambda: next(counter, None), None):
            if rate:
                time.sleep(max(0.0, began + index * size / rate - time.perf_counter()))
            body, headers = prepared[index]
            started = time.perf_counter()
            try:
                answered = http.post(url + "/webhooks/hubspot", data=body, headers=headers, timeout=10).ok
            except requests.RequestException:  # e.g. no answer within 10 s: HubSpot would retry it later
                answered = False
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                failures[0] += not answered

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - began, failures[0]


def wait_processed(env: dict, total: int, timeout: float) -> tuple[float, int]:
    """Seconds until every event received is processed, and how many were. Done when all `total` are, or when
    none is pending (stored, or still in the inbox) and no new one appeared for a second (events stored as one
    row, or not at all, would otherwise keep the count short of `total` forever)."""
    from hubspot_app.db import Database
    from hubspot_app.db.models.webhooks import ReceivedDelivery, WebhookEvent
    from hubspot_app.webhooks.inbox import open_inbox

    database = Database(env["DATABASE_URL"])
    inbox = open_inbox(database)
    started = time.perf_counter()
    stable_since, last = started, None
    try:
        while time.perf_counter() - started < timeout:
            with database.session() as session:
                counts = dict(session.execute(select(WebhookEvent.status, func.count())
                                              .group_by(WebhookEvent.status)).all())
            with inbox.session() as session:  # deliveries received whose events the worker has not stored yet
                waiting = session.scalar(select(func.count()).select_from(ReceivedDelivery))
            pending = counts.pop("pending", 0) + waiting
            done = sum(counts.values())
            if (done, pending) != last:
                stable_since, last = time.perf_counter(), (done, pending)
            if done >= total or (not pending and time.perf_counter() - stable_since > 1.0):
                break
            time.sleep(0.05)
        return stable_since - started if done < total else time.perf_counter() - started, done
    finally:
        database.dispose()
        inbox.dispose()


def percentiles(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return (round(statistics.median(ordered) * 1000, 2),
            round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2))


def measure(env: dict, url: str, batches: int, size: int, clients: int, web_workers: int, queue_workers: int,
            rate: float, backfill_running_now: Callable[[], bool] | None) -> dict:
    web = start_web(env, int(url.rsplit(":", 1)[1]), web_workers)
    # Web and worker share this machine's cores here (they are separate dynos in production): the worker
    # runs at a lower CPU priority, as a co-located background worker should.
    worker = subprocess.Popen(["nice", "-n", "10", sys.executable, "-c", "from hubspot_app.cli import main; main()",
                               "worker", "--workers", str(queue_workers)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    warm_up = 4 * web_workers
    try:
        wait_until_up(url)
        # Warm-up, not measured: each gunicorn worker's first requests import and compile lazily.
        post_all(url, warm_up, size, clients)
        began = time.perf_counter()
        # Latency at the offered load (open loop), then the most the receiver accepts (closed loop).
        paced, _, paced_failures = post_all(url, batches, size, clients, first=warm_up, rate=rate)
        flat_out, elapsed, failures = post_all(url, batches, size, clients, first=warm_up + batches)
        answered = time.perf_counter()
        still_running = backfill_running_now() if backfill_running_now else None
        total = (warm_up + 2 * batches) * size
        lag, processed = wait_processed(env, total, timeout=900)
    finally:
        for process in (web, worker):
            stop_process(process)
    return {"paced": paced, "flat_out": flat_out, "elapsed": elapsed, "failures": paced_failures + failures,
            "total": total, "lag": lag, "processed": processed, "delivering_s": answered - began + lag,
            "backfill_running": still_running}


def run(batches: int, size: int, clients: int, web_workers: int, queue_workers: int, rate: float,
        database_url: str | None = None, during_backfill: bool = False, orders: int = 5000) -> dict:
    load = machine()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(database_url, Path(tmp)) as database, \
            (backfill_process() if during_backfill else nullcontext()) as side:
        url = f"http://127.0.0.1:{free_port()}"
        env = environment(Path(tmp), url, database, side.recv() if side else None)
        prepare_database(env, links=5000)
        running_now = start_backfill(side, env, orders, Path(tmp) / "backfill.log") if side else None
        figures = measure(env, url, batches, size, clients, web_workers, queue_workers, rate, running_now)
    p50, p99 = percentiles(figures["paced"])
    saturated_p50, saturated_p99 = percentiles(figures["flat_out"])
    return {
        "events_per_s": round(batches * size / figures["elapsed"], 1), "p50_ms": p50, "p99_ms": p99,
        "latency_at_events_per_s": rate, "saturated_p50_ms": saturated_p50, "saturated_p99_ms": saturated_p99,
        "processing_lag_s": round(figures["lag"], 2), "processed": figures["processed"], "events": figures["total"],
        "processed_per_s": round(figures["processed"] / figures["delivering_s"], 1),
        "failed_requests": figures["failures"],
        "batch_size": size, "clients": clients, "web_workers": web_workers, "queue_workers": queue_workers,
        "database": "postgresql" if database_url and database_url.startswith("postgresql") else "sqlite",
        "during_backfill": during_backfill, "backfill_orders": orders if during_backfill else None,
        "backfill_running_at_end": figures["backfill_running"], "machine": load, "machine_after": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--queue-workers", type=int, default=1, help="SQLite has one writer: more threads only contend")
    parser.add_argument("--rate", type=float, default=3000, help="offered events/s for the latency figures")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server URL: the run makes a scratch database there (default: SQLite file)")
    parser.add_argument("--during-backfill", action="store_true", help="a backfill writes to the database meanwhile")
    parser.add_argument("--orders", type=int, default=5000, help="size of the store the backfill syncs")
    args = parser.parse_args(argv)
    result = run(args.batches, args.size, args.clients, args.web_workers, args.queue_workers, args.rate,
                 args.database_url, args.during_backfill, args.orders)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")


if __name__ == "__main__":
    main()
