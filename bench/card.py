"""Contact card list benchmark: GET /card/orders under gunicorn on loopback, SQLite file database,
signed like HubSpot signs `hubspot.fetch`, from 50 concurrent clients.

    python -m bench.card --json [--requests 3000] [--clients 50] [--contacts 1000] [--orders 5000] [--rate 200]

Prints p50_ms, p99_ms (per request, as the client sees it) and rps with 50 clients in a closed loop:
there latency is mostly queueing (Little's law: 50 in flight / throughput), so `--rate` adds an open
loop at a fixed arrival rate, whose latency is the service time at that load. Target: p99 < 50 ms.
The clients run on the same machine, so their CPU time is part of what is measured.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.fernet import Fernet

from sandbox.card_fetch import hubspot_fetch

PORTAL = 73001
OTHER_PORTAL = 73002  # a second tenant in the same tables, as in production
SECRET = "bench-client-secret"
BASE_URL = "https://card.bench.test"  # the external URL HubSpot signs; gunicorn listens on loopback
ROOT = Path(__file__).resolve().parents[1]
STATUSES = ("paid", "completed", "shipped", "processing", "cancelled", "ready_for_pickup")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(tmp: Path) -> dict:
    return dict(os.environ, SECRET_KEY="bench", HUBSPOT_CLIENT_ID="bench", HUBSPOT_CLIENT_SECRET=SECRET,
                APP_BASE_URL=BASE_URL, TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(), HUBSPOT_APP_ID="4242",
                DATABASE_URL=f"sqlite:///{tmp / 'card.sqlite3'}", QUEUE_PATH=str(tmp / "queue.sqlite3"),
                REDIS_URL="", PYTHONPATH=str(ROOT))


def seed(env: dict, contacts: int, orders: int) -> None:
    """`orders` orders over `contacts` contacts in each of two portals: most have a handful, five have hundreds."""
    from hubspot_app import create_app
    from hubspot_app.db.models import CardOrder, Installation, MoulinStore, ObjectLink

    rng = random.Random(7)
    app = create_app(env)
    database = app.extensions["moulin.db"]
    database.create_all()
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    with database.session() as session:
        for portal in (PORTAL, OTHER_PORTAL):
            session.add(Installation(portal_id=portal, status="active", scopes=""))
            session.flush()
            session.add(MoulinStore(portal_id=portal, code="b2c", name="Shop", api_url="https://moulin.bench.test",
                                    api_key_enc="x", push_secret_enc="x", stage_mapping={}, settings={},
                                    order_url_template="https://bo.bench.test/orders/{order_id}"))
            session.add_all(ObjectLink(portal_id=portal, kind="contact", source_key=f"c{i}@bench.test",
                                       hubspot_id=str(i)) for i in range(contacts))
            rows = []
            for n in range(orders):
                contact = rng.randrange(5) if rng.random() < 0.1 else rng.randrange(contacts)
                linked = n % 4 != 0  # a quarter found only by email, as before the contact existed
                rows.append(CardOrder(
                    portal_id=portal, store_code="b2c", order_id=str(n), order_number=f"B{n:06d}",
                    contact_email=f"c{contact}@bench.test", hubspot_contact_id=str(contact) if linked else None,
                    status=rng.choice(STATUSES), currency="EUR", total=Decimal(rng.randint(500, 50000)) / 100,
                    refunded=Decimal(0), item_count=rng.randint(1, 9), pickup_point="Lyon Part-Dieu",
                    ordered_at=start + timedelta(minutes=n * 7)))
            session.add_all(rows)
    database.dispose()


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def load(url: str, total: int, clients: int, contacts: int, rate: float = 0) -> tuple[list[float], float, int]:
    """Closed loop (each client sends its next request as soon as the last is answered), or with `rate`
    an open loop: request i is due at i / rate s, and its latency counts from then (no coordinated omission)."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    counter = iter(range(total))
    rng = random.Random(11)
    asks = [str(rng.randrange(contacts)) for _ in range(total)]
    began = time.perf_counter()

    def client() -> None:
        # http.client with keep-alive: `requests` costs the client more CPU than the server spends answering.
        http = HTTPConnection(host, port, timeout=10)
        for index in iter(lambda: next(counter, None), None):
            signed = hubspot_fetch(SECRET, BASE_URL, "GET", "/card/orders",
                                   {"contactId": asks[index], "page": 1, "perPage": 10}, portal_id=PORTAL)
            started = time.perf_counter()
            if rate:
                started = began + index / rate
                time.sleep(max(0.0, started - time.perf_counter()))
            http.request("GET", signed.path_and_query, headers=signed.headers)
            response = http.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                failures[0] += response.status != 200
        http.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - began, failures[0]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the result as JSON only")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rate", type=float, default=0,
                        help="also measure an open loop at this many requests/s (0: closed loop only)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-card-") as tmp:
        env = environment(Path(tmp))
        seed(env, args.contacts, args.orders)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", str(args.workers),
             "-k", "gthread", "--threads", str(args.threads), "--log-level", "warning", "hubspot_app:create_app()"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(url)
            load(url, min(300, args.requests), args.clients, args.contacts)  # warm every worker up
            latencies, seconds, failures = load(url, args.requests, args.clients, args.contacts)
            open_loop = load(url, args.requests, args.clients, args.contacts, args.rate) if args.rate else None
        finally:
            server.terminate()
            server.wait(timeout=10)
    result = {
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "rps": round(len(latencies) / seconds, 1),
        "requests": len(latencies), "failures": failures, "concurrency": args.clients,
        "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread)",
        "orders": args.orders * 2, "contacts": args.contacts * 2, "target_p99_ms": 50,
    }
    if open_loop:
        at_rate, seconds, failures = open_loop
        result["open_loop"] = {"rate": args.rate, "p50_ms": round(statistics.median(at_rate) * 1000, 2),
                               "p99_ms": round(percentile(at_rate, 0.99) * 1000, 2),
                               "rps": round(len(at_rate) / seconds, 1), "failures": failures}
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
