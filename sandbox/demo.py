"""The one-command demo: HubSpot sandbox + sample Moulin store + the app + a worker, on loopback.

It installs the app through the real OAuth redirects, connects the sample store,
runs the backfill with a progress bar, and prints where to look. The worker is
a real `moulin-hubspot worker` process configured through the environment,
exactly as deployed; the rest runs on loopback threads of this process.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from alembic import command
from sqlalchemy import func, select
from tqdm import tqdm

from hubspot_app import create_app, extensions
from hubspot_app.cli.db import alembic_config
from hubspot_app.db.models import CardOrder, Installation
from hubspot_app.logs import configure_logging
from sandbox.hubspot import start_sandbox
from sandbox.hubspot.card_bundles import bundle_path, build_card_bundles, project_cards
from sandbox.hubspot.marketing import Visit
from sandbox.hubspot.webhook_delivery import WebhookDelivery
from sandbox.moulin import start_sample_store
from sandbox.serving import serve_app_in_thread


STORE_SPAN = timedelta(days=730)
CHECKOUTS_SENT_WITHIN_S = 60


@dataclass
class DemoOptions:
    orders: int = 2000
    seed: int = 7
    port: int = 0
    exit_after_sync: bool = False
    as_json: bool = False
    workdir: str | None = None
    target: str = "deals"  # where the store's orders go in HubSpot (`StoreSettings.target`)


def _say(options: DemoOptions, text: str) -> None:
    # With --json, stdout carries only the JSON object; people read stderr.
    print(text, file=sys.stderr if options.as_json else sys.stdout, flush=True)


def _environment(app_url: str, hubspot_state, hubspot_server, workdir: Path) -> dict:
    """The app's settings, as a deployment would set them, pointed at the sandbox on loopback."""
    return {
        "SECRET_KEY": secrets.token_hex(32),
        "TOKEN_ENCRYPTION_KEYS": secrets.token_hex(32),
        "HUBSPOT_CLIENT_ID": hubspot_state.oauth.client_id,
        "HUBSPOT_CLIENT_SECRET": hubspot_state.oauth.client_secret,
        "HUBSPOT_APP_ID": str(hubspot_state.app_id),
        "APP_BASE_URL": app_url,
        "HUBSPOT_API_BASE": hubspot_server.url,
        "HUBSPOT_AUTH_BASE": hubspot_server.url,
        "DATABASE_URL": f"sqlite:///{workdir / 'demo.sqlite3'}",
        "QUEUE_PATH": str(workdir / "queue.sqlite3"),
        "ALLOW_PRIVATE_STORE_URLS": "1",  # the sample store serves on loopback http
    }


@dataclass
class RunningDemo:
    """Everything the demo started, until `stop()`."""
    summary: dict
    app: object
    hubspot_state: object
    hubspot_url: str
    app_url: str
    worker: subprocess.Popen
    delivery: WebhookDelivery
    servers: tuple

    @property
    def sandbox_page(self) -> str:
        return f"{self.hubspot_url}/_sandbox/portals/{self.summary['portal_id']}/page"

    def stop(self) -> None:
        self.delivery.stop()
        _stop(self.worker, *self.servers)


def start(options: DemoOptions) -> RunningDemo:
    """Start everything, install, connect, backfill; then HubSpot's webhooks flow to the app until `stop()`."""
    workdir = Path(options.workdir or tempfile.mkdtemp(prefix="moulin-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    hubspot_state, hubspot_server = start_sandbox(auto_approve=True)
    # The store's history ends now, so its recent web checkouts (with HubSpot's tracking cookie) are recent.
    store, moulin_server = start_sample_store(orders=options.orders, seed=options.seed, hubspot_links=True,
                                              start=datetime.now(timezone.utc) - STORE_SPAN)
    env: dict = {}

    def build(app_url: str):
        env.update(_environment(app_url, hubspot_state, hubspot_server, workdir))
        command.upgrade(alembic_config(env["DATABASE_URL"]), "head")
        return create_app(env)

    app, app_server = serve_app_in_thread(build, port=options.port)
    hubspot_state.card_backend_url = app_server.url  # where the card preview's hubspot.fetch goes
    if any(bundle_path(card.uid) is None for card in project_cards()):
        build_card_bundles()  # `make demo` has built them already; `moulin-hubspot demo` alone has not
    configure_logging(stream=open(workdir / "app.log", "a"))  # keep the terminal for people
    worker = subprocess.Popen(
        [sys.executable, "-c", "from hubspot_app.cli import main; main()", "worker", "--workers", "2"],
        env={**os.environ, **env, "REDIS_URL": ""}, stdout=open(workdir / "worker.log", "a"), stderr=subprocess.STDOUT)
    servers = (app_server, moulin_server, hubspot_server)
    try:
        summary = _install_and_sync(options, app, store, hubspot_state, hubspot_server, moulin_server, app_server,
                                    workdir)
    except BaseException:
        _stop(worker, *servers)
        raise
    # From here on, what changes in the sandbox (the sync's writes, a person's actions on the sandbox page)
    # reaches the app's /webhooks/hubspot signed, as HubSpot would deliver it; the backfill's own writes are
    # not replayed.
    delivery = WebhookDelivery(hubspot_state, f"{app_server.url}/webhooks/hubspot", hubspot_state.oauth.client_secret,
                               hubspot_state.app_id).start()
    return RunningDemo(summary, app, hubspot_state, hubspot_server.url, app_server.url, worker, delivery, servers)


def run(options: DemoOptions) -> dict:
    demo = start(options)
    _print_summary(options, demo.summary)
    if options.exit_after_sync:
        demo.stop()
    else:
        _wait_for_ctrl_c(options, demo)
    return demo.summary


def _install_and_sync(options, app, store, hubspot_state, hubspot_server, moulin_server, app_server, workdir) -> dict:
    from hubspot_app.attribution.service import setup_marketing
    from hubspot_app.moulin.stores import connect_store
    from hubspot_app.operator.auth import make_operator_link
    from hubspot_app.sync.backfill import backfill
    from hubspot_app.sync.engine import setup_portal

    _say(options, f"HubSpot sandbox   {hubspot_server.url}\nMoulin store      {moulin_server.url}\n"
                  f"App               {app_server.url}\nWork folder       {workdir}")
    browser = requests.Session()
    page = browser.get(f"{app_server.url}/oauth/install", timeout=30)
    if page.status_code != 200:
        raise RuntimeError(f"install failed: HTTP {page.status_code}")
    with app.app_context():
        with extensions.db().session() as session:
            portal_id = session.scalar(select(Installation.portal_id).order_by(Installation.id.desc()))
            row, push_secret = connect_store(session, extensions.cipher(), portal_id, store.store_code,
                                             "Boutique du Moulin", moulin_server.url, store.api_key,
                                             order_url_template=f"{moulin_server.url}/orders/{{order_id}}")
            store_id = row.id
            row.settings = {**(row.settings or {}), "target": options.target}
        _say(options, f"Installed into portal {portal_id} through the OAuth redirects; store "
                      f"{store.store_code!r} connected.")
        store.push_to(f"{app_server.url}/moulin/push/{store_id}", push_secret)
        setup_portal(portal_id)
        setup_marketing(portal_id)  # the "Moulin checkout" form, before the backfill queues checkouts
        for hutk, visits in store.visitor_histories().items():  # what HubSpot's tracking code saw on the shop
            hubspot_state.record_visits(portal_id, hutk, [Visit(v["url"], v["at"], v["source"], v["drillDown1"])
                                                          for v in visits])
        expected = store.count()["valid_orders"]
        started = time.monotonic()
        with tqdm(total=expected, unit="order", desc="Backfill", file=sys.stderr) as bar:
            report = backfill(portal_id, progress=bar.update)
        wall = time.monotonic() - started
        _send_checkouts(portal_id)
        summary = _summary(hubspot_state, portal_id, expected, report, wall)
        summary.update(_orders_summary(hubspot_state, portal_id))
        summary.update(_marketing_summary(hubspot_state, portal_id, store))
        summary["operator_url"] = make_operator_link(portal_id, None)
        summary["card_url"] = _card_link(hubspot_server.url, portal_id)
    return summary


def _card_link(hubspot_url: str, portal_id: int) -> str:
    """The sandbox's record page of the synced contact with the most orders: the card preview."""
    with extensions.db().session() as session:
        contact_id = session.scalar(
            select(CardOrder.hubspot_contact_id).where(CardOrder.portal_id == portal_id,
                                                       CardOrder.hubspot_contact_id.is_not(None))
            .group_by(CardOrder.hubspot_contact_id)
            .order_by(func.count().desc(), CardOrder.hubspot_contact_id).limit(1))
    return f"{hubspot_url}/contacts/{portal_id}/record/0-1/{contact_id}"


def _summary(hubspot_state, portal_id: int, orders: int, report: dict, wall_s: float) -> dict:
    from hubspot_app.db.models.sync import SyncError

    def live(kind):
        return [r for r in hubspot_state.objects(portal_id, kind).values() if not r.archived]

    deals = live("deals")
    keys = Counter(d.properties.get("moulin_order_key") for d in deals)
    with extensions.db().session() as session:
        failed = session.scalar(select(func.count()).select_from(SyncError).where(
            SyncError.portal_id == portal_id, SyncError.resolved_at.is_(None)))
    return {
        "portal_id": portal_id,
        "orders": orders,
        "deals": len(deals),
        "line_items": len(live("line_items")),
        "contacts": len(live("contacts")),
        "companies": len(live("companies")),
        "products": len(live("products")),
        "carts": len(live("carts")),  # HubSpot carts: the open and abandoned checkouts of a store sending orders
        "duplicate_deals": sum(n - 1 for n in keys.values() if n > 1),
        "failed_records": failed,
        "hubspot_calls": hubspot_state.request_log.total(),
        "wall_s": round(wall_s, 2),
    }


def _orders_summary(hubspot_state, portal_id: int) -> dict:
    """HubSpot's native orders (store target `orders` or `both`): one per live Moulin order, none twice."""
    orders = [r for r in hubspot_state.objects(portal_id, "orders").values() if not r.archived]
    keys = Counter(o.properties.get("moulin_order_key") for o in orders)
    return {"hubspot_orders": len(orders), "duplicate_orders": sum(n - 1 for n in keys.values() if n > 1)}


def _send_checkouts(portal_id: int) -> None:
    """Send the checkouts the backfill queued (the worker's minute job may take some of them meanwhile)."""
    from hubspot_app.attribution.service import counts, submit_pending

    deadline = time.monotonic() + CHECKOUTS_SENT_WITHIN_S
    while time.monotonic() < deadline:
        submit_pending(portal_id)
        with extensions.db().session() as session:
            left = counts(session, portal_id)
        if not left.get("pending") and not left.get("sending"):
            return
        time.sleep(0.5)


def _marketing_summary(hubspot_state, portal_id: int, store) -> dict:
    contacts = [r for r in hubspot_state.objects(portal_id, "contacts").values() if not r.archived]
    return {
        "orders_with_hutk": sum(1 for order in store.live_orders() if order.tracking is not None),
        "form_submissions": len(hubspot_state.marketing_of(portal_id).submissions),
        "contacts_with_source": sum(1 for c in contacts if c.properties.get("hs_analytics_source")),
    }


def _stop(worker, *servers) -> None:
    worker.send_signal(signal.SIGINT)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
    for server in servers:
        server.stop()


def _wait_for_ctrl_c(options, demo: RunningDemo) -> None:
    moulin = demo.servers[1].url
    _say(options, f"Real-time sync: edit orders in the sample store, e.g.\n"
                  f"  curl -X POST {moulin}/_admin/tick -H 'Content-Type: application/json' -d '{{\"edits\": 5}}'\n"
                  "and the store pushes signed events to the app, which the worker syncs to the HubSpot sandbox.\n"
                  f"The store's back office receives each order's deal and customer's contact back:\n"
                  f"  {moulin}/_admin/hubspot-links\n"
                  f"Act as a HubSpot user (merge contacts, delete a deal, change an email or a stage):\n"
                  f"  {demo.sandbox_page}\n"
                  "the sandbox delivers the webhooks to the app, and the worker updates its mapping and the card.\n"
                  "Press Ctrl-C to stop.")
    try:
        while demo.worker.poll() is None:
            time.sleep(0.5)
        _say(options, f"The worker stopped (exit {demo.worker.returncode}); stopping.")
    except KeyboardInterrupt:
        _say(options, "\nStopping…")
    demo.stop()


def _print_summary(options: DemoOptions, summary: dict) -> None:
    if options.as_json:
        print(json.dumps(summary), flush=True)
        return
    print("\nSynced:", ", ".join(f"{k} {summary[k]}" for k in
                                 ("orders", "deals", "line_items", "contacts", "companies", "products", "carts",
                                  "duplicate_deals", "failed_records", "hubspot_calls", "orders_with_hutk",
                                  "form_submissions", "contacts_with_source")))
    if summary["hubspot_orders"]:
        print(f"HubSpot orders    {summary['hubspot_orders']} (duplicates {summary['duplicate_orders']})")
    print(f"Operator pages    {summary['operator_url']}", flush=True)
    print(f"Card preview      {summary['card_url']}", flush=True)
