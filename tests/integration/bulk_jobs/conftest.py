"""A real `moulin-hubspot worker` process (not immediate mode) over a shared SQLite queue, an endless store, the sandbox."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from flask import Flask, jsonify, request

from bench.processes import stop_process
from hubspot_app import create_app
from hubspot_app.db.base import Base
from hubspot_app.db.models import Installation
from hubspot_app.install.tokens import store_tokens
from hubspot_app.hubspot.oauth import TokenSet
from hubspot_app.moulin.stores import connect_store
from sandbox.hubspot import start_sandbox
from sandbox.serving import serve_in_thread

API_KEY = "endless-key"
FIRST_ORDER_AT = datetime(2020, 1, 1, tzinfo=timezone.utc)


def _order(store_code: str, i: int) -> dict:
    at = (FIRST_ORDER_AT + timedelta(seconds=i)).isoformat()
    return {"id": f"ord_{i}", "number": f"E-{i}", "store": store_code, "status": "paid", "currency": "EUR",
            "subtotal": "10.00", "discounts": "0.00", "taxes": "0.00", "shipping": "0.00", "total": "10.00",
            "taxes_included": True, "refunded_amount": "0.00", "created_at": at, "updated_at": at,
            "customer_id": None, "company_id": None, "pickup_point_id": None,
            "lines": [{"id": f"ord_{i}-l0", "sku": "SKU-1", "title": "Farine", "quantity": 1,
                       "unit_price": "10.00", "discount": "0.00", "tax": "0.00"}]}


class EndlessStore:
    """A Moulin store whose order list never ends: every page has a next cursor. Records what was asked."""

    def __init__(self, store_code: str):
        self.store_code = store_code
        self.order_requests: list[dict] = []  # query parameters of each GET /orders
        self.lock = threading.Lock()
        app = Flask(f"endless-{store_code}")

        @app.get("/ping")
        def ping():
            return jsonify(store={"code": store_code, "name": "Endless"})

        @app.get("/orders")
        def orders():
            with self.lock:
                self.order_requests.append(dict(request.args))
            if "cursor" in request.args:
                start = int(request.args["cursor"])
            elif "updated_since" in request.args:
                since = datetime.fromisoformat(request.args["updated_since"])
                start = int((since - FIRST_ORDER_AT).total_seconds())
            else:
                start = 0
            limit = int(request.args.get("limit", 100))
            time.sleep(0.02)  # a slow store, not a busy loop
            return jsonify(data=[_order(store_code, i) for i in range(start, start + limit)],
                           next_cursor=str(start + limit))

        @app.get("/<collection>")
        def empty(collection):
            return jsonify(data=[], next_cursor=None)

        self.server = serve_in_thread(app)
        self.url = self.server.url

    def pages(self) -> int:
        with self.lock:
            return len(self.order_requests)


def wait_for(condition, what: str, timeout: float = 90.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class Stack:
    """The app's database and queue files, the HubSpot sandbox, and worker processes sharing them."""

    def __init__(self, tmp_path, hubspot_state, hubspot_url):
        self.tmp_path, self.hubspot, self.hubspot_url = tmp_path, hubspot_state, hubspot_url
        self.env = {
            "SECRET_KEY": "test-secret-key", "HUBSPOT_CLIENT_ID": "id", "HUBSPOT_CLIENT_SECRET": "secret",
            "APP_BASE_URL": "http://127.0.0.1", "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}", "QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
            "HUBSPOT_API_BASE": hubspot_url, "REDIS_URL": "", "QUEUE_IMMEDIATE": "",
            "ALLOW_PRIVATE_STORE_URLS": "1",  # the stores are on loopback
        }
        self.app = create_app(self.env)
        self.db = self.app.extensions["moulin.db"]
        Base.metadata.drop_all(self.db.engine)
        self.db.create_all()
        self.workers: list[subprocess.Popen] = []
        self.stores: list = []

    def install(self) -> int:
        portal_id = self.hubspot.create_portal()
        tokens = self.hubspot.issue_tokens(portal_id)
        with self.db.session() as session:
            installation = Installation(portal_id=portal_id, status="active")
            store_tokens(installation, TokenSet(tokens["access_token"], tokens["refresh_token"],
                                                tokens["expires_in"]), self.app.extensions["moulin.cipher"],
                         datetime.now(timezone.utc))
            session.add(installation)
        return portal_id

    def connect(self, portal_id: int, code: str, url: str, api_key: str) -> tuple[int, str]:
        with self.app.app_context(), self.db.session() as session:
            row, secret = connect_store(session, self.app.extensions["moulin.cipher"], portal_id, code, code, url,
                                        api_key)
            return row.id, secret

    def endless_store(self, code: str) -> EndlessStore:
        store = EndlessStore(code)
        self.stores.append(store.server)
        return store

    def start_worker(self, threads: int = 2, **settings: str) -> subprocess.Popen:
        worker = subprocess.Popen(
            [sys.executable, "-c", "from hubspot_app.cli import main; main()", "worker", "--workers", str(threads)],
            env={**os.environ, **self.env, **settings}, stdout=open(self.tmp_path / "worker.log", "a"),
            stderr=subprocess.STDOUT)
        self.workers.append(worker)
        return worker

    def enqueue(self, name: str, *args):
        with self.app.app_context():
            self.app.extensions["moulin.jobs"].enqueue(name, *args)

    def close(self) -> None:
        for worker in self.workers:
            stop_process(worker)
        for server in self.stores:
            server.stop()
        self.db.dispose()


@pytest.fixture
def stack(tmp_path):
    state, server = start_sandbox()
    built = Stack(tmp_path, state, server.url)
    yield built
    built.close()
    server.stop()
