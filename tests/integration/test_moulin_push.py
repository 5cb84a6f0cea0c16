import json
import time

import pytest

from hubspot_app.db.models import Installation, MoulinEvent
from hubspot_app.moulin.stores import connect_store
from sandbox.moulin import SampleStore, sign
from sandbox.serving import serve_in_thread

PORTAL = 777


@pytest.fixture
def received(app):
    """Stands in for the sync engineer's task: records the event row ids it is given."""
    seen = []
    app.extensions["moulin.jobs"].register(lambda event_row_id: seen.append(event_row_id), name="sync.moulin_event")
    return seen


@pytest.fixture
def store(app):
    with app.app_context():
        database, cipher = app.extensions["moulin.db"], app.extensions["moulin.cipher"]
        with database.session() as session:
            session.add(Installation(portal_id=PORTAL))
            session.flush()
            store, secret = connect_store(session, cipher, PORTAL, "b2c", "Boutique", "http://moulin.test", "key")
            return store.id, secret


def event(event_id="evt_1", type_="order.updated", record_id="ord_1"):
    return {"id": event_id, "type": type_, "occurred_at": "2026-01-01T00:00:00+00:00",
            "data": {"id": record_id, "status": "paid", "customer": "Zoë Noël ✓"}}


def post(client, store_id, body: bytes, secret: str, t: int | None = None):
    return client.post(f"/moulin/push/{store_id}", data=body, content_type="application/json",
                       headers={"X-Moulin-Signature": sign(secret, body, int(time.time()) if t is None else t)})


def events(app):
    with app.extensions["moulin.db"].session() as session:
        return session.query(MoulinEvent).order_by(MoulinEvent.id).all()


@pytest.mark.db
def test_good_signature_is_stored_then_enqueued(app, client, store, received):
    store_id, secret = store
    response = post(client, store_id, json.dumps(event(), ensure_ascii=False).encode(), secret)
    assert response.status_code == 202
    [row] = events(app)
    assert (row.store_id, row.portal_id, row.event_id, row.type, row.record_id) == \
        (store_id, PORTAL, "evt_1", "order.updated", "ord_1")
    assert row.payload["data"]["customer"] == "Zoë Noël ✓"
    assert row.processed_at is None
    assert received == [row.id] == [response.get_json()["event"]]


@pytest.mark.db
def test_replayed_event_answers_duplicate_and_is_not_enqueued_again(app, client, store, received):
    store_id, secret = store
    body = json.dumps(event()).encode()
    assert post(client, store_id, body, secret).status_code == 202
    replay = post(client, store_id, body, secret)
    assert replay.status_code == 200
    assert replay.get_json()["status"] == "duplicate"
    assert len(events(app)) == 1 and len(received) == 1


@pytest.mark.db
def test_bad_signature_is_refused(app, client, store, received):
    store_id, _ = store
    response = post(client, store_id, json.dumps(event()).encode(), "not-the-secret")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_signature"
    missing = client.post(f"/moulin/push/{store_id}", data=b"{}", content_type="application/json")
    assert missing.status_code == 401
    assert events(app) == [] and received == []


@pytest.mark.db
def test_stale_timestamp_is_refused(app, client, store, received):
    store_id, secret = store
    response = post(client, store_id, json.dumps(event()).encode(), secret, t=int(time.time()) - 301)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "stale_signature"
    assert events(app) == []


@pytest.mark.db
@pytest.mark.parametrize("body, field", [
    (b'{"id": "evt_1", "type": "order.updated", "data": {"id": "1"', None),
    (json.dumps({"id": "evt_1", "type": "order.exploded", "data": {"id": "1"}}).encode(), "type"),
    (json.dumps({"id": "evt_1", "type": "order.updated", "data": {}}).encode(), "data.id"),
    (json.dumps({"type": "order.updated", "data": {"id": "1"}}).encode(), "id"),
])
def test_malformed_events_are_refused_naming_the_problem(app, client, store, received, body, field):
    store_id, secret = store
    response = post(client, store_id, body, secret)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error.get("field") == field
    if field is None:
        assert error["code"] == "malformed_json" and "JSON" in error["message"]
    assert events(app) == [] and received == []


@pytest.mark.db
def test_unknown_store_is_404(client, store):
    _, secret = store
    response = post(client, 99999, json.dumps(event()).encode(), secret)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_store"


@pytest.mark.db
def test_sample_store_pushes_signed_events_after_each_change(app, store, received):
    """The sender side: the sample store's edits arrive over real HTTP, verified and enqueued."""
    store_id, secret = store
    server = serve_in_thread(app)
    try:
        sample = SampleStore(orders=30, seed=5)
        sample.push_to(f"{server.url}/moulin/push/{store_id}", secret)
        order_id = next(sample.iter_raw("orders"))["id"]
        sample.update_customer("cus_1", {"email": "  Nouvelle.Adresse@Exemple.FR "})
        sample.delete("orders", order_id)
    finally:
        server.stop()
    assert [d.status for d in sample.pusher.deliveries] == [202, 202]
    rows = events(app)
    assert [(r.type, r.record_id) for r in rows] == [("customer.updated", "cus_1"), ("order.deleted", order_id)]
    assert received == [r.id for r in rows]


@pytest.mark.db
def test_an_oversized_body_is_refused_before_it_is_read(client, store):
    store_id, secret = store
    body = b'{"pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = post(client, store_id, body, secret)
    assert response.status_code == 413


@pytest.mark.db
def test_a_queue_outage_does_not_turn_a_stored_event_into_an_error(app, make_config, store, caplog):
    from hubspot_app import create_app

    # Same database, but a queue that cannot be reached (nothing listens on port 1).
    outage = create_app(make_config(queue_immediate=False, redis_url="redis://127.0.0.1:1/0",
                                    token_encryption_keys=app.extensions["moulin.config"].token_encryption_keys))
    outage.extensions["moulin.jobs"].register(lambda event_row_id: None, name="sync.moulin_event")
    store_id, secret = store
    response = post(outage.test_client(), store_id, json.dumps(event()).encode(), secret)
    outage.extensions["moulin.db"].dispose()
    assert response.status_code == 202
    [row] = events(app)
    assert row.processed_at is None  # still in the inbox for a later run
    assert "moulin.push.enqueue_failed" in caplog.messages


@pytest.mark.db
def test_a_push_stored_while_the_queue_was_down_is_swept_into_the_queue(app, make_config, store, received, clock):
    from hubspot_app import create_app

    outage = create_app(make_config(queue_immediate=False, redis_url="redis://127.0.0.1:1/0",
                                    token_encryption_keys=app.extensions["moulin.config"].token_encryption_keys))
    outage.extensions["moulin.jobs"].register(lambda event_row_id: None, name="sync.moulin_event")
    store_id, secret = store
    assert post(outage.test_client(), store_id, json.dumps(event()).encode(), secret).status_code == 202
    outage.extensions["moulin.db"].dispose()
    [row] = events(app)
    queue = app.extensions["moulin.jobs"]
    queue.enqueue("sync.sweep_pushes")  # the periodic sweep, as the worker's schedule runs it every minute
    assert received == []  # too recent: its own job may still be on its way
    clock.advance(180)
    queue.enqueue("sync.sweep_pushes")
    assert received == [row.id]
