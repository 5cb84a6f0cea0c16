"""Contact card list benchmark: GET /card/orders under gunicorn on loopback, SQLite file database,
signed like HubSpot signs `hubspot.fetch`, from 50 concurrent clients.

    python -m bench.card --json [--requests 5000] [--clients 50] [--contacts 1000] [--orders 5000] [--rate 200]
                                [--workers 2] [--threads 8]

Prints p50_ms, p99_ms (per request, as the client sees it) and rps with 50 clients in a closed loop:
there latency is mostly queueing (Little's law: 50 in flight / throughput), so `--rate` adds an open
loop at a fixed arrival rate, whose latency is the service time at that load. Target: p99 < 50 ms.
The same load against /healthz, in the same run, is the floor this machine allows (`baseline_healthz`).

The client shares the machine's cores with the server, so it is kept cheap (bench/loadgen.py: requests
signed before the run, raw keep-alive HTTP/1.1 from one asyncio loop) and its CPU share is printed, with
the server's. Needs nothing beyond the project's dependencies and Linux's /proc.
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
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.request import urlopen

from cryptography.fernet import Fernet

from bench import loadgen
from hubspot_app.web.access_log import GUNICORN_LOGGER_CLASS
from sandbox.card_fetch import hubspot_fetch

PORTAL = 73001
OTHER_PORTAL = 73002  # a second tenant in the same tables, as in production
SECRET = "bench-client-secret"
BASE_URL = "https://card.bench.test"  # the external URL HubSpot signs; gunicorn listens on loopback
ROOT = Path(__file__).resolve().parents[1]
CORES = os.cpu_count() or 1
THREADS = 4  # the Procfile's default (WEB_THREADS)
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
            with urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def signed_requests(port: int, total: int, contacts: int, path: str = "/card/orders") -> list[bytes]:
    """`total` requests signed now, before the clock starts: HubSpot's signature is valid for 5 minutes
    (the server checks the window as always), and signing inside the loop would bill HMACs to the server's cores."""
    rng = random.Random(11)
    out = []
    for _ in range(total):
        signed = hubspot_fetch(SECRET, BASE_URL, "GET", path,
                               {"contactId": str(rng.randrange(contacts)), "page": 1, "perPage": 10},
                               portal_id=PORTAL)
        out.append(loadgen.raw_request("GET", signed.path_and_query, f"127.0.0.1:{port}", signed.headers))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine so far, all cores (Linux /proc/stat)."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


class Tally:
    """Runs of the same load, added up: latencies pooled, times and CPU summed."""

    def __init__(self):
        self.latencies, self.seconds, self.failures = [], 0.0, 0
        self.client_cpu = self.server_cpu = self.machine_cpu = self.steal = 0.0

    def run(self, port: int, requests: list[bytes], clients: int, server: list[int], rate: float = 0) -> None:
        server_before, (machine_before, steal_before) = cpu_seconds(server), machine_cpu_seconds()
        run = loadgen.run("127.0.0.1", port, requests, clients, rate)
        machine_after, steal_after = machine_cpu_seconds()
        self.latencies += run.latencies
        self.seconds += run.seconds
        self.failures += run.failures
        self.client_cpu += run.cpu_seconds
        self.server_cpu += cpu_seconds(server) - server_before
        self.machine_cpu += machine_after - machine_before
        self.steal += steal_after - steal_before

    def summary(self) -> dict:
        def share(cpu: float) -> float:  # of the whole machine (all cores) over the runs
            return round(max(0.0, cpu) / self.seconds / CORES, 3)

        return {
            "p50_ms": round(statistics.median(self.latencies) * 1000, 2),
            "p99_ms": round(percentile(self.latencies, 0.99) * 1000, 2),
            "rps": round(len(self.latencies) / self.seconds, 1), "requests": len(self.latencies),
            "failures": self.failures,
            "client_cpu_share": share(self.client_cpu), "server_cpu_share": share(self.server_cpu),
            # other processes on the machine (and the hypervisor's steal): load the benchmark does not control
            "others_cpu_share": share(self.machine_cpu - self.client_cpu - self.server_cpu),
            "steal_share": share(self.steal),
            "server_cpu_ms_per_request": round(self.server_cpu * 1000 / max(1, len(self.latencies)), 3),
        }


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the result as JSON only")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--rounds", type=int, default=5,
                        help="card and /healthz runs alternate this many times, so both meet the same machine")
    parser.add_argument("--rate", type=float, default=0,
                        help="also measure an open loop at this many requests/s (0: closed loop only)")
    return parser.parse_args(argv)


def _measure(args: argparse.Namespace) -> tuple[Tally, Tally, Tally, float]:
    """Card, /healthz and (with --rate) open-loop tallies against one gunicorn, and the oldest signature's age."""
    with tempfile.TemporaryDirectory(prefix="bench-card-") as tmp:
        env = environment(Path(tmp))
        seed(env, args.contacts, args.orders)
        port = free_port()
        card = signed_requests(port, args.requests, args.contacts)
        warm = signed_requests(port, min(500, args.requests), args.contacts)
        floor = signed_requests(port, args.requests, args.contacts, "/healthz")
        signed_at = time.time()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", str(args.workers),
             "-k", "gthread", "--threads", str(args.threads), "--reuse-port",
             "--log-level", "warning", "--logger-class", GUNICORN_LOGGER_CLASS, "hubspot_app:create_app()"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(f"http://127.0.0.1:{port}")
            pids = [server.pid, *worker_pids(server.pid)]
            loadgen.run("127.0.0.1", port, warm, args.clients)  # every worker and connection pool warmed up
            cards, healthz, open_loop = Tally(), Tally(), Tally()
            for part in range(args.rounds):
                cards.run(port, card[part::args.rounds], args.clients, pids)
                healthz.run(port, floor[part::args.rounds], args.clients, pids)
            if args.rate:
                open_loop.run(port, card, args.clients, pids, args.rate)
            return cards, healthz, open_loop, time.time() - signed_at
        finally:
            server.terminate()
            server.wait(timeout=10)


def main(argv: list[str] | None = None) -> dict:
    args = _arguments(argv)
    cards, healthz, open_loop, oldest_signature_s = _measure(args)
    if oldest_signature_s > 300:
        raise RuntimeError("the run outlived the signatures' 5-minute window: use fewer --requests")
    result = cards.summary()
    baseline = healthz.summary()
    result.update({
        "concurrency": args.clients, "target_p99_ms": 50, "cores": CORES,
        "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread), --reuse-port",
        "orders": args.orders * 2, "contacts": args.contacts * 2,
        # the same load (same request bytes, same connections) on /healthz, which only runs `SELECT 1`
        # through Flask and the database session: what this machine, gunicorn and Flask cost with no card work
        "baseline_healthz": baseline,
        "p99_over_baseline": round(result["p99_ms"] / baseline["p99_ms"], 2),
        "rps_over_baseline": round(result["rps"] / baseline["rps"], 2),
        "signing": f"all requests signed before the run; the last answered {oldest_signature_s:.0f} s after "
                   "signing, inside HubSpot's 5-minute window, which the server checks",
    })
    if args.rate:
        result["open_loop"] = {"rate": args.rate, **open_loop.summary()}
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return result

if __name__ == "__main__":
    main()
