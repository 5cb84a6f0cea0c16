"""The sync health page and its retries, over rows as the sync engine and the webhook receiver write them."""
from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest

from hubspot_app.db.models import (MoulinEvent, MoulinStore, ObjectLink, SyncCheckpoint, SyncConflict, SyncedOrder,
                                   SyncError, WebhookEvent)
from hubspot_app.metrics import record_hubspot_call
from hubspot_app.db import repository as repo
from tests.operator_support import PORTAL_A, PORTAL_B, csrf_token, install_portals, operator_link

pytestmark = pytest.mark.db


@pytest.fixture
def operator(app, client):
    install_portals(app, PORTAL_A, PORTAL_B)
    client.get(operator_link(app, PORTAL_A).removeprefix("https://app.test"))
    return client


def seed(app, portal_id=PORTAL_A, errors=2):
    now = app.extensions["moulin.clock"]()  # the app's movable clock: "5 min ago" holds however late we run
    cipher = app.extensions["moulin.cipher"]
    with app.extensions["moulin.db"].session() as session:
        store = MoulinStore(portal_id=portal_id, code="b2c", name="Boutique", api_url="http://m",
                            api_key_enc=cipher.encrypt("k"), push_secret_enc=cipher.encrypt("s"))
        session.add(store)
        session.flush()
        session.add(MoulinEvent(store_id=store.id, portal_id=portal_id, event_id="e1", type="order.updated",
                                record_id=f"ord_{portal_id}", payload={}, received_at=now - timedelta(minutes=2),
                                processed_at=now, error="order has no lines"))
        session.add(SyncCheckpoint(portal_id=portal_id, store_code="b2c", mode="backfill", position=120, done=True,
                                   updated_at=now - timedelta(minutes=5)))
        session.add_all([ObjectLink(portal_id=portal_id, kind="deal", source_key=f"b2c:{i}", hubspot_id=str(i))
                         for i in range(3)])
        session.add_all([SyncError(portal_id=portal_id, kind="deal", source_key=f"b2c:ord_{i}",
                                   message=f"Property \"amount\" is invalid (order {i})", attempts=i + 1,
                                   last_seen_at=now - timedelta(minutes=i)) for i in range(errors)])
        session.add(SyncError(portal_id=portal_id, kind="contact", source_key="old@x.example", message="fixed",
                              resolved_at=now))
        session.add(WebhookEvent(dedupe_key=f"d{portal_id}", delivery_id="del1", portal_id=portal_id,
                                 subscription_type="deal.deletion", object_type="deal", object_id="77",
                                 occurred_at_ms=1, payload={}, status="processed", outcome="link forgotten"))
        session.add(SyncConflict(portal_id=portal_id, kind="contact", hubspot_id="9", reason="merged",
                                 detail="contact 9 merged into 10", occurred_at_ms=1))


def test_empty_portal_has_clear_empty_states(operator):
    page = operator.get(f"/operator/{PORTAL_A}/health").get_data(as_text=True)
    assert "Healthy: no record is failing" in page
    assert "No sync has run yet." in page
    assert "No record is failing." in page
    assert "No webhook event received yet." in page
    assert "No change pushed by Moulin yet." in page


def test_failures_show_their_reason_and_only_this_portals_rows(app, operator):
    seed(app, PORTAL_A)
    seed(app, PORTAL_B, errors=5)
    record_hubspot_call(PORTAL_A, 200)
    record_hubspot_call(PORTAL_A, 429)
    page = operator.get(f"/operator/{PORTAL_A}/health").get_data(as_text=True)
    assert "2 records failing, 1 conflict to look at" in page
    assert "Property &#34;amount&#34; is invalid (order 1)" in page
    assert "order 4" not in page  # portal B's
    assert "fixed" not in page  # resolved
    assert "deals: 3" in page
    assert "first import" in page and "120" in page and "5 min ago" in page
    assert "deal.deletion" in page and "link forgotten" in page
    assert "contact 9 merged into 10" in page
    assert "answered “429 too many requests”" in page
    assert "last change received 2 min ago" in re.sub(r"<[^>]+>", "", page)
    assert "order has no lines" in page and f"ord_{PORTAL_A}" in page and f"ord_{PORTAL_B}" not in page


WORKER = """
import sys
from hubspot_app import create_app
app = create_app()  # from the environment, as the worker builds it
with app.app_context():
    app.extensions["moulin.jobs"].enqueue("sync.setup_portal", int(sys.argv[1]))
"""


def test_hubspot_calls_made_by_a_worker_process_show_on_the_page(app, operator):
    config = app.extensions["moulin.config"]
    env = {**os.environ, "SECRET_KEY": "k", "HUBSPOT_CLIENT_ID": "c", "HUBSPOT_CLIENT_SECRET": "s",
           "APP_BASE_URL": "https://app.test", "TOKEN_ENCRYPTION_KEYS": config.token_encryption_keys[0],
           "DATABASE_URL": config.database_url, "HUBSPOT_API_BASE": config.hubspot_api_base, "QUEUE_IMMEDIATE": "1"}
    before = operator.get(f"/operator/{PORTAL_A}/health").get_data(as_text=True)
    assert "0 calls" in before
    # The worker's set-up job calls the test config's HubSpot, which refuses the token: one call, not retried.
    worker = subprocess.run([sys.executable, "-c", WORKER, str(PORTAL_A)], env=env, capture_output=True, text=True,
                            timeout=120)
    assert worker.returncode == 0, worker.stderr
    after = operator.get(f"/operator/{PORTAL_A}/health").get_data(as_text=True)
    assert "1 calls" in after


def test_a_failed_reconcile_is_run_again_from_the_page(app, operator, caplog):
    with app.extensions["moulin.db"].session() as session:  # as the job boundary records a failed run
        repo.record_errors(session, PORTAL_A, "job", {f"sync.reconcile:{PORTAL_A}": "TransientError: 503"})
    token = csrf_token(operator.get(f"/operator/{PORTAL_A}/health").get_data(as_text=True))
    with caplog.at_level(logging.INFO, logger="hubspot_app.sync.reconcile"):
        page = operator.post(f"/operator/{PORTAL_A}/health/errors/retry", data={"csrf_token": token},
                             follow_redirects=True).get_data(as_text=True)
    assert "Retry requested for 1 record: the sync runs again (1 job)" in page
    assert [r.getMessage() for r in caplog.records if r.name == "hubspot_app.sync.reconcile"] == ["sync.reconcile.done"]
    with app.extensions["moulin.db"].session() as session:
        assert session.query(SyncError).one().resolved_at is not None


def test_retry_reruns_the_engines_jobs_once_per_customer(app, operator):
    now = app.extensions["moulin.clock"]()
    asked = []
    jobs = app.extensions["moulin.jobs"]
    # Stand-ins for the engine's jobs (tested in the sync area): they record what the page asked for.
    jobs.register(lambda portal_id, email: asked.append(("customer", portal_id, email)), name="sync.customer")
    jobs.register(lambda portal_id, code: asked.append(("backfill", portal_id, code)), name="sync.backfill")
    with app.extensions["moulin.db"].session() as session:
        session.add(SyncedOrder(portal_id=PORTAL_A, order_key="b2c:o1", contact_email="ann@x.example",
                                ordered_at=now, net_total=Decimal("10"), counts=True))
        rows = [SyncError(portal_id=PORTAL_A, kind=kind, source_key=key, message="HubSpot said no")
                for kind, key in (("deal", "b2c:o1"), ("line_item", "b2c:o1:l1"), ("contact", "bob@x.example"),
                                  ("job", f"sync.backfill:{PORTAL_A}:b2c"), ("product", "SKU-1"))]
        rows.append(SyncError(portal_id=PORTAL_B, kind="contact", source_key="eve@x.example", message="no"))
        session.add_all(rows)
    with app.extensions["moulin.db"].session() as session:
        ids = {e.source_key: e.id for e in session.query(SyncError)}
    token = csrf_token(operator.get(f"/operator/{PORTAL_A}/health").get_data(as_text=True))

    one = operator.post(f"/operator/{PORTAL_A}/health/errors/{ids['b2c:o1:l1']}/retry", data={"csrf_token": token},
                        follow_redirects=True).get_data(as_text=True)
    assert "Retry requested for 1 record: the sync runs again (1 job)" in one
    assert asked == [("customer", PORTAL_A, "ann@x.example")]

    asked.clear()
    every = operator.post(f"/operator/{PORTAL_A}/health/errors/retry", data={"csrf_token": token},
                          follow_redirects=True).get_data(as_text=True)
    assert "Retry requested for 4 records: the sync runs again (3 jobs)" in every
    assert "1 record cannot be re-read from here" in every
    assert sorted(asked) == [("backfill", PORTAL_A, "b2c"), ("customer", PORTAL_A, "ann@x.example"),
                             ("customer", PORTAL_A, "bob@x.example")]
    with app.extensions["moulin.db"].session() as session:
        job_row = session.get(SyncError, ids[f"sync.backfill:{PORTAL_A}:b2c"])
        assert job_row.resolved_at is not None  # reopened by the engine if the job fails again

    asked.clear()
    foreign = operator.post(f"/operator/{PORTAL_A}/health/errors/{ids['eve@x.example']}/retry",
                            data={"csrf_token": token}, follow_redirects=True)
    assert "Nothing to retry" in foreign.get_data(as_text=True)
    assert asked == []
