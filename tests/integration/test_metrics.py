"""/metrics: Prometheus text with counters from this process and gauges read from the database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hubspot_app import create_app
from hubspot_app.clock import MovableClock
from hubspot_app.db.base import Base
from hubspot_app.db.models import Installation, MoulinEvent, MoulinStore, SyncError
from hubspot_app.db.models.webhooks import ReceivedDelivery
from hubspot_app.metrics import record_hubspot_call
from tests.operator_support import PORTAL_A, PORTAL_B, install_portals

pytestmark = pytest.mark.db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def samples(response) -> dict[tuple[str, tuple], float]:
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for s in family.samples}


@pytest.fixture
def build_app(make_config):
    """Apps with their own config or clock, on a clean schema (PostgreSQL runs share one database)."""
    built = []

    def build(clock=None, **overrides):
        app = create_app(make_config(**overrides), clock=clock)
        Base.metadata.drop_all(app.extensions["moulin.db"].engine)
        app.extensions["moulin.db"].create_all()
        built.append(app)
        return app

    yield build
    for app in built:
        Base.metadata.drop_all(app.extensions["moulin.db"].engine)
        app.extensions["moulin.db"].dispose()


def test_gauges_come_from_the_database_at_scrape_time(build_app):
    app = build_app(clock=MovableClock(NOW), metrics_private_listener=True)
    install_portals(app, PORTAL_A, PORTAL_B)
    cipher = app.extensions["moulin.cipher"]
    with app.extensions["moulin.db"].session() as session:
        store = MoulinStore(portal_id=PORTAL_A, code="b2c", name="B", api_url="http://m",
                            api_key_enc=cipher.encrypt("k"), push_secret_enc=cipher.encrypt("s"))
        session.add(store)
        session.flush()
        for i, age_s in enumerate((90, 30)):
            session.add(MoulinEvent(store_id=store.id, portal_id=PORTAL_A, event_id=f"e{i}", type="order.updated",
                                    record_id=f"o{i}", payload={}, received_at=NOW - timedelta(seconds=age_s)))
        session.add(MoulinEvent(store_id=store.id, portal_id=PORTAL_A, event_id="done", type="order.updated",
                                record_id="o9", payload={}, received_at=NOW - timedelta(hours=1), processed_at=NOW))
        session.add_all([SyncError(portal_id=PORTAL_A, kind="deal", source_key=f"b2c:{i}", message="bad")
                         for i in range(4)])
    with app.extensions["moulin.webhook_inbox"].session() as session:  # two deliveries the worker has not taken
        session.add_all([ReceivedDelivery(id=f"d{i}", body=b"[]", received_at=NOW) for i in range(2)])
    found = samples(app.test_client().get("/metrics"))
    assert found[("moulin_webhook_deliveries_waiting", ())] == 2.0
    assert found[("moulin_sync_lag_seconds", (("portal_id", str(PORTAL_A)),))] == 90.0
    assert found[("moulin_sync_lag_seconds", (("portal_id", str(PORTAL_B)),))] == 0.0
    assert found[("moulin_sync_failing_records", (("portal_id", str(PORTAL_A)),))] == 4.0
    assert found[("moulin_queue_depth", ())] == 0.0


def test_hubspot_calls_and_429s_are_counted_per_portal(build_app):
    client = build_app(metrics_private_listener=True).test_client()

    def count(name, **labels):
        return samples(client.get("/metrics")).get((name, tuple(sorted(labels.items()))), 0.0)

    calls_before = count("moulin_hubspot_calls_total", portal_id="5150", status="2xx")
    limited_before = count("moulin_hubspot_rate_limited_total", portal_id="5150")
    for status in (200, 201, 429, 429, 500):
        record_hubspot_call(5150, status)
    assert count("moulin_hubspot_calls_total", portal_id="5150", status="2xx") == calls_before + 2
    assert count("moulin_hubspot_rate_limited_total", portal_id="5150") == limited_before + 2


def test_metrics_token_is_required_when_set(build_app):
    client = build_app(metrics_token="scrape-me").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_sync_lag_counts_only_pending_events_of_active_portals(build_app):
    """A failed event waits for an operator, an uninstalled portal syncs nothing: neither is lag."""
    app = build_app(clock=MovableClock(NOW), metrics_private_listener=True)
    install_portals(app, PORTAL_A, PORTAL_B)
    cipher = app.extensions["moulin.cipher"]
    with app.extensions["moulin.db"].session() as session:
        stores = {}
        for portal_id in (PORTAL_A, PORTAL_B):
            stores[portal_id] = MoulinStore(portal_id=portal_id, code="b2c", name="B", api_url="http://m",
                                            api_key_enc=cipher.encrypt("k"), push_secret_enc=cipher.encrypt("s"))
            session.add(stores[portal_id])
        session.flush()
        session.add(MoulinEvent(store_id=stores[PORTAL_A].id, portal_id=PORTAL_A, event_id="failed",
                                type="order.updated", record_id="o1", payload={}, error="MoulinError: 400",
                                received_at=NOW - timedelta(days=3)))
        session.add(MoulinEvent(store_id=stores[PORTAL_A].id, portal_id=PORTAL_A, event_id="pending",
                                type="order.updated", record_id="o2", payload={},
                                received_at=NOW - timedelta(seconds=40)))
        session.add(MoulinEvent(store_id=stores[PORTAL_B].id, portal_id=PORTAL_B, event_id="orphan",
                                type="order.updated", record_id="o3", payload={},
                                received_at=NOW - timedelta(days=9)))
        session.query(Installation).filter_by(portal_id=PORTAL_B).update({"status": "uninstalled"})
    found = samples(app.test_client().get("/metrics"))
    lags = {labels: value for (name, labels), value in found.items() if name == "moulin_sync_lag_seconds"}
    assert lags == {(("portal_id", str(PORTAL_A)),): 40.0}
