"""The sandbox's webhook delivery against the app over loopback HTTP: filtering, batching, signing, retries,
concurrency. The event source here is a bare event bus; the end-to-end tests use the full sandbox."""
import io
import json
import threading
import time

import pytest
from sqlalchemy import func, select

from hubspot_app.db.models.webhooks import WebhookEvent
from hubspot_app.webhooks.processing import process_inbox
from sandbox.hubspot.webhook_delivery import MAX_ATTEMPTS, WebhookDelivery
from sandbox.serving import serve_in_thread
from tests.webhook_support import APP_ID, PORTAL, SECRET, install
from tests.webhook_support_http import app_on_loopback

pytestmark = pytest.mark.db


class Bus:
    def __init__(self):
        self.subscribers = []

    def subscribe(self, fn):
        self.subscribers.append(fn)
        return lambda: self.subscribers.remove(fn)

    def emit(self, event):
        for fn in list(self.subscribers):
            fn(dict(event))


class State:
    def __init__(self):
        self.events = Bus()


def change(kind, object_id, at, **extra):
    return dict(portalId=PORTAL, occurredAt=at, subscriptionType=kind, objectId=object_id, changeSource="CRM_UI",
                **extra)


def stored(app):
    with app.extensions["moulin.db"].session() as session:
        return session.scalar(select(func.count()).select_from(WebhookEvent))


def test_subscribed_events_arrive_signed_in_batches_of_at_most_100(make_config):
    seen_sizes = []

    def spy(wsgi):
        def inner(environ, start):
            seen_sizes.append(int(environ.get("CONTENT_LENGTH") or 0))
            return wsgi(environ, start)
        return inner

    # Received and queued, processed after: this test is about delivery, and inline processing of 100 events on a
    # loaded machine could pass the sandbox's 5 s timeout and cause a legitimate (but here unwanted) retry.
    with app_on_loopback(make_config, wrap=spy, queue_immediate=False) as (app, url):
        with app.extensions["moulin.db"].session() as session:
            install(session)
        state = State()
        delivery = WebhookDelivery(state, url, SECRET, APP_ID)
        for i in range(230):
            state.events.emit(change("contact.deletion", i, 1_000 + i))
        state.events.emit(change("contact.propertyChange", 1, 5_000, propertyName="firstname", propertyValue="Léa"))
        state.events.emit(change("ticket.deletion", 1, 5_000))
        state.events.emit(change("contact.propertyChange", 1, 5_000, propertyName="email", propertyValue="léa@x.fr"))
        assert delivery.flush()
        while process_inbox(app.extensions["moulin.db"], app.extensions["moulin.webhook_inbox"], APP_ID):
            pass  # what the worker's jobs do
        assert stored(app) == 231
        assert len(seen_sizes) == 3
        assert sorted(a.events for a in delivery.log.attempts) == [31, 100, 100]
        assert all(a.status == 200 for a in delivery.log.attempts)
        with app.extensions["moulin.db"].session() as session:
            payload = session.scalar(select(WebhookEvent.payload).where(WebhookEvent.subscription_type ==
                                                                        "contact.propertyChange"))
        assert payload["appId"] == APP_ID and payload["subscriptionId"] == 5 and payload["eventId"] > 0
        delivery.stop()


def test_wrong_secret_is_refused_and_retried_until_given_up(make_config):
    with app_on_loopback(make_config) as (app, url):
        state = State()
        delivery = WebhookDelivery(state, url, "not-the-secret", APP_ID, retry_base_delay=0.001)
        state.events.emit(change("contact.deletion", 1, 1_000))
        assert delivery.flush() is False
        assert [a.status for a in delivery.log.attempts] == [401] * MAX_ATTEMPTS
        assert [a.attempt_number for a in delivery.log.attempts] == list(range(MAX_ATTEMPTS))
        assert delivery.log.given_up == 1 and stored(app) == 0


def test_failures_are_retried_with_a_new_attempt_number(make_config):
    failures = {"left": 2}
    numbers = []

    def flaky(wsgi):
        def inner(environ, start):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            numbers.append(json.loads(body)[0]["attemptNumber"])
            if failures["left"]:
                failures["left"] -= 1
                start("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"down"]
            environ["wsgi.input"] = io.BytesIO(body)
            return wsgi(environ, start)
        return inner

    with app_on_loopback(make_config, wrap=flaky) as (app, url):
        with app.extensions["moulin.db"].session() as session:
            install(session)
        state = State()
        delivery = WebhookDelivery(state, url, SECRET, APP_ID, retry_base_delay=0.001)
        state.events.emit(change("deal.deletion", 7, 1_000))
        assert delivery.flush()
        assert numbers == [0, 1, 2]
        assert [a.status for a in delivery.log.attempts] == [503, 503, 200]
        assert stored(app) == 1


def test_never_more_than_max_concurrent_requests():
    in_flight, peak, lock = [0], [0], threading.Lock()

    def slow(environ, start):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        start("204 No Content", [])
        return [b""]

    server = serve_in_thread(slow)
    try:
        state = State()
        delivery = WebhookDelivery(state, server.url + "/hook", SECRET, APP_ID, max_concurrent=3)
        for portal in range(12):  # one batch per portal
            state.events.emit(dict(change("contact.deletion", 1, 1_000), portalId=portal))
        assert delivery.flush()
        assert len(delivery.log.attempts) == 12
        assert peak[0] == 3
    finally:
        server.stop()


def test_background_delivery_start_and_stop(make_config):
    with app_on_loopback(make_config) as (app, url):
        with app.extensions["moulin.db"].session() as session:
            install(session)
        state = State()
        delivery = WebhookDelivery(state, url, SECRET, APP_ID, flush_interval=0.02).start()
        state.events.emit(change("product.deletion", 3, 1_000))
        deadline = time.time() + 5
        while stored(app) == 0 and time.time() < deadline:
            time.sleep(0.02)
        delivery.stop()
        assert stored(app) == 1
