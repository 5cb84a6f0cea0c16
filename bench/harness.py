"""What the sync benchmarks share: the stand-ins on loopback, an installed portal, the sync in its own process.

The HubSpot sandbox and the sample stores run on threads of the benchmark's process; the code under
measure (a backfill, a worker, the web app) runs in other processes, so its CPU and RSS are its own and
the stand-ins' CPU is this process's (`process_cpu_s`). Every JSON carries `machine` (load averages,
cores): the machine is shared, and a figure means little without the load it was taken under.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import secrets
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bench.processes import ROOT

HUBSPOT_RATE = 110 / 10.0  # requests per second per portal, HubSpot's limit (the sandbox enforces it)
BATCH_LIMIT = 100  # objects per HubSpot batch call


def machine() -> dict:
    one, five, fifteen = os.getloadavg()
    return {"loadavg_1m": round(one, 2), "loadavg_5m": round(five, 2), "loadavg_15m": round(fifteen, 2),
            "cpus": os.cpu_count()}


def process_cpu_s() -> float:
    return time.process_time()


def children_cpu_s() -> float:
    """CPU of the child processes this process has waited for (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def minimal_calls(objects: dict[str, int], associations: dict[tuple, int] | None = None,
                  archives: dict[str, int] | None = None) -> int:
    """The planner's lower bound (100 objects per batch call, 2,000 associations per v4 call). The one place the
    benchmarks import the sync's internals: after a refactor moves the planner, fix this import only."""
    from hubspot_app.domain.planner import minimal_calls as bound

    return bound(objects, associations, archives)


def association_kinds() -> tuple[tuple[str, str], ...]:
    from hubspot_app.domain.planner import ASSOCIATION_ORDER

    return ASSOCIATION_ORDER


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share in 0..1) of the values; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


OBJECT_TYPES = ("contacts", "companies", "products", "deals", "line_items")
WRITE_STAMPS = ("hs_lastmodifieddate", "lastmodifieddate")  # the sandbox stamps every write, changed or not


def hubspot_snapshot(state, portal_id: int) -> dict[str, dict[str, dict]]:
    """What the sandbox holds for a portal: per type, id -> properties (and whether archived)."""
    return {t: {r.id: {**{k: v for k, v in r.properties.items() if k not in WRITE_STAMPS}, "(archived)": r.archived}
                for r in state.objects(portal_id, t).values()} for t in OBJECT_TYPES}


def changed_objects(before: dict, after: dict) -> dict[str, int]:
    """Per type, the objects new, archived or with different properties between two snapshots. A write that
    re-sends identical values changes nothing."""
    counts = {t: sum(1 for i, props in after[t].items() if before[t].get(i) != props) for t in OBJECT_TYPES}
    return {t: n for t, n in counts.items() if n}


def app_environment(hubspot_url: str, workdir: Path, database_url: str | None = None, redis_url: str = "",
                    app_url: str = "https://bench.invalid") -> dict:
    """The app's settings as a deployment sets them, pointed at the stand-ins; every process gets the same."""
    return {
        **os.environ,
        "SECRET_KEY": "bench", "HUBSPOT_CLIENT_ID": "sandbox-client-id",
        "HUBSPOT_CLIENT_SECRET": "sandbox-client-secret",
        "HUBSPOT_APP_ID": "1000", "APP_BASE_URL": app_url, "TOKEN_ENCRYPTION_KEYS": secrets.token_hex(32),
        "HUBSPOT_API_BASE": hubspot_url, "HUBSPOT_AUTH_BASE": hubspot_url,
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "QUEUE_PATH": str(workdir / "queue.sqlite3"), "QUEUE_IMMEDIATE": "", "REDIS_URL": redis_url,
        "ALLOW_PRIVATE_STORE_URLS": "1", "PYTHONPATH": str(ROOT),
    }


@dataclass
class Installed:
    portal_id: int
    store_id: int
    push_secret: str


class CpuMeter:
    """WSGI middleware: the CPU time of the threads answering requests, summed into `total` (itself, or a
    meter shared by several servers). The stand-ins share this process with the benchmark, so their cost is
    measured per request, not per process."""

    def __init__(self, app=None, total: "CpuMeter | None" = None) -> None:
        self.app, self.seconds, self.total = app, 0.0, total or self
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        began = time.thread_time()
        try:
            return self.app(environ, start_response)  # Flask builds the body here; writing it out is not counted
        finally:
            spent = time.thread_time() - began
            with self.total._lock:
                self.total.seconds += spent


@dataclass
class StandIns:
    """The HubSpot sandbox and sample stores, served on loopback threads of this process."""
    latency_ms: float = 0.0
    state: object = None
    hubspot: object = None
    stores: list = field(default_factory=list)  # (SampleStore, RunningServer)
    hubspot_cpu: CpuMeter | None = None
    stores_cpu: CpuMeter | None = None

    def __post_init__(self) -> None:
        from sandbox.hubspot import start_sandbox

        self.state, self.hubspot = start_sandbox(latency_s=self.latency_ms / 1000)
        self.hubspot_cpu = self.hubspot.server.app = CpuMeter(self.hubspot.server.app)
        self.stores_cpu = CpuMeter()  # one sum over every store's server

    def add_store(self, orders: int, seed: int, store_code: str = "b2c"):
        from sandbox.moulin import start_sample_store

        store, server = start_sample_store(orders=orders, seed=seed, store_code=store_code)
        server.server.app = CpuMeter(server.server.app, total=self.stores_cpu)
        self.stores.append((store, server))
        return self.stores[-1]

    def cpu_s(self) -> dict[str, float]:
        """CPU seconds spent answering so far: the HubSpot sandbox and the sample stores."""
        return {"sandbox": self.hubspot_cpu.seconds, "stores": self.stores_cpu.seconds}

    def calls(self, portal_id: int | None = None, since: float = 0.0) -> list:
        return [e for e in self.state.request_log.entries()
                if e.at >= since and (portal_id is None or e.portal_id == portal_id)]

    def __enter__(self) -> "StandIns":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def stop(self) -> None:
        for _store, server in self.stores:
            server.stop()
        self.hubspot.stop()


def by_endpoint(entries: list) -> dict[str, int]:
    return dict(Counter(e.endpoint for e in entries))


def install(app, stand_ins: StandIns, store, store_url: str, target: str = "deals") -> Installed:
    """A portal in the sandbox with the app installed (tokens stored as the OAuth callback stores them),
    one store connected, properties and pipeline set up. A target other than deals (the store setting) is
    installed with the optional order and cart scopes, so setup makes the order pipeline and cart properties too."""
    from hubspot_app import extensions
    from hubspot_app.config import CART_SCOPES, ORDER_SCOPES
    from hubspot_app.db.models import Installation
    from hubspot_app.hubspot.oauth import TokenSet
    from hubspot_app.install.tokens import store_tokens
    from hubspot_app.moulin.stores import connect_store
    from hubspot_app.sync.engine import setup_portal

    portal_id = stand_ins.state.create_portal()
    answer = stand_ins.state.issue_tokens(portal_id)
    tokens = TokenSet(answer["access_token"], answer["refresh_token"], answer["expires_in"], portal_id)
    with app.app_context():
        with extensions.db().session() as session:
            scopes = "" if target == "deals" else " ".join((*ORDER_SCOPES, *CART_SCOPES))
            installation = Installation(portal_id=portal_id, scopes=scopes, status="active")
            store_tokens(installation, tokens, extensions.cipher(), datetime.now(timezone.utc))
            session.add(installation)
            row, push_secret = connect_store(session, extensions.cipher(), portal_id, store.store_code, "bench",
                                             store_url, store.api_key)
            row.settings = {**(row.settings or {}), "target": target}
            store_id = row.id
        setup_portal(portal_id)
    return Installed(portal_id, store_id, push_secret)


def recorded_errors(app, portal_id: int | None = None) -> int:
    """The `sync_errors` rows the run recorded, resolved or not: of one portal, or of every one."""
    from sqlalchemy import func, select

    from hubspot_app.db.models.sync import SyncError

    query = select(func.count()).select_from(SyncError)
    if portal_id is not None:
        query = query.where(SyncError.portal_id == portal_id)
    with app.extensions["moulin.db"].session() as session:
        return session.scalar(query)


SETTLE_S = 10.5


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def add_settle_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--settle-s", type=_seconds, default=SETTLE_S,
                        help="seconds to let set-up's requests leave HubSpot's 10 s window before measuring "
                             "(0 in the suite's smoke runs, whose figures are not compared)")


def settle_rate_window(seconds: float = SETTLE_S) -> None:
    """Let set-up's requests leave HubSpot's rolling 10 s window, so the run is measured alone."""
    time.sleep(seconds)


def workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"bench-{prefix}-"))


@dataclass
class Prepared:
    env: dict
    app: object
    store: object
    store_url: str
    installed: Installed


def prepare(stand_ins: StandIns, orders: int, seed: int, folder: Path, target: str = "deals",
            **environment) -> Prepared:
    """One sample store, the app's database, and a portal installed with that store connected (its `target`)."""
    from hubspot_app import create_app

    store, server = stand_ins.add_store(orders, seed)
    env = app_environment(stand_ins.hubspot.url, folder, **environment)
    app = create_app(env)
    app.extensions["moulin.db"].create_all()
    return Prepared(env, app, store, server.url, install(app, stand_ins, store, server.url, target))


def bench_parser(doc: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    return parser


def print_result(parser: argparse.ArgumentParser, argv: list[str] | None, run) -> int:
    """Parse the options, pass them to `run` by name, print its JSON object."""
    options = vars(parser.parse_args(argv))
    as_json = options.pop("json")
    result = run(**options)
    print(json.dumps(result) if as_json else json.dumps(result, indent=2))
    return 0
