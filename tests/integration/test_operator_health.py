"""The sync health page and its retries, over rows as the sync engine and the webhook receiver write them."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from hubspot_app.db.models import (MoulinEvent, MoulinStore, ObjectLink, SyncCheckpoint, SyncConflict, SyncError,
                                   WebhookEvent)
from hubspot_app.metrics import record_hubspot_call
from tests.operator_support import PORTAL_A, PORTAL_B, csrf_token, install_portals, operator_link

pytestmark = pytest.mark.db
NOW = datetime.now(timezone.utc)


@pytest.fixture
def operator(app, client):
    install_portals(app, PORTAL_A, PORTAL_B)
    client.get(operator_link(app, PORTAL_A).removeprefix("https://app.test"))
    return client


def seed(app, portal_id=PORTAL_A, errors=2):
    cipher = app.extensions["moulin.cipher"]
    with app.extensions["moulin.db"].session() as session:
        store = MoulinStore(portal_id=portal_id, code="b2c", name="Boutique", api_url="http://m",
                            api_key_enc=cipher.encrypt("k"), push_secret_enc=cipher.encrypt("s"))
        session.add(store)
        session.flush()
        session.add(MoulinEvent(store_id=store.id, portal_id=portal_id, event_id="e1", type="order.updated",
                                record_id=f"ord_{portal_id}", payload={}, received_at=NOW - timedelta(minutes=2),
                                processed_at=NOW, error="order has no lines"))
        session.add(SyncCheckpoint(portal_id=portal_id, store_code="b2c", mode="backfill", position=120, done=True,
                                   updated_at=NOW - timedelta(minutes=5)))
        session.add_all([ObjectLink(portal_id=portal_id, kind="deal", source_key=f"b2c:{i}", hubspot_id=str(i))
                         for i in range(3)])
        session.add_all([SyncError(portal_id=portal_id, kind="deal", source_key=f"b2c:ord_{i}",
                                   message=f"Property \"amount\" is invalid (order {i})", attempts=i + 1,
                                   last_seen_at=NOW - timedelta(minutes=i)) for i in range(errors)])
        session.add(SyncError(portal_id=portal_id, kind="contact", source_key="old@x.example", message="fixed",
                              resolved_at=NOW))
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
    assert "Retrying needs the sync worker" in page


def test_retry_one_and_all_enqueue_ids_for_the_engine(app, operator):
    seed(app, PORTAL_A, errors=3)
    seed(app, PORTAL_B, errors=1)
    asked = []
    app.extensions["moulin.jobs"].register(lambda portal_id, ids: asked.append((portal_id, ids)),
                                           name="sync.retry_errors")
    page = operator.get(f"/operator/{PORTAL_A}/health").get_data(as_text=True)
    with app.extensions["moulin.db"].session() as session:
        ids = sorted(e.id for e in session.query(SyncError).filter_by(portal_id=PORTAL_A, resolved_at=None))
        other = session.query(SyncError).filter_by(portal_id=PORTAL_B, resolved_at=None).one().id
    token = csrf_token(page)
    one = operator.post(f"/operator/{PORTAL_A}/health/errors/{ids[1]}/retry", data={"csrf_token": token},
                        follow_redirects=True)
    assert "Retry requested for 1 record." in one.get_data(as_text=True)
    every = operator.post(f"/operator/{PORTAL_A}/health/errors/retry", data={"csrf_token": token},
                          follow_redirects=True)
    assert "Retry requested for 3 records." in every.get_data(as_text=True)
    foreign = operator.post(f"/operator/{PORTAL_A}/health/errors/{other}/retry", data={"csrf_token": token},
                            follow_redirects=True)
    assert "Nothing to retry" in foreign.get_data(as_text=True)
    assert asked == [(PORTAL_A, [ids[1]]), (PORTAL_A, ids)]
