"""SQLite's "database is locked" is a transient outage: jobs retry it, the webhook receiver answers 503 when its
inbox is locked, and does not wait for the app database's lock at all.

The lock is real: another connection to the same SQLite file holds the write lock (BEGIN IMMEDIATE) while the
app writes, with a short busy timeout so the app gives up in a fraction of a second instead of 30 s.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from hubspot_app import create_app
from hubspot_app.db import DatabaseBusy
from hubspot_app.db.models import SyncError
from hubspot_app.db.models.webhooks import ReceivedDelivery, WebhookEvent
from hubspot_app.jobs import sync_tasks as tasks
from hubspot_app.webhooks.processing import process_inbox
from tests.webhook_support import PORTAL, event, install, post_events


@pytest.fixture
def sqlite_app(make_config, tmp_path):
    app = create_app(make_config(database_url=f"sqlite:///{tmp_path / 'locked.sqlite3'}",
                                 sqlite_busy_timeout_ms=200))
    app.extensions["moulin.db"].create_all()
    with app.extensions["moulin.db"].session() as session:
        install(session)
    yield app
    app.extensions["moulin.db"].dispose()


@contextmanager
def write_lock_held(database):
    """Another process's writer, as a backfill's transaction would be: the lock is held until the block ends."""
    other = sqlite3.connect(database.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


def stored_events(app) -> int:
    with app.extensions["moulin.db"].session() as session:
        return session.scalar(select(func.count()).select_from(WebhookEvent))


def received(app) -> int:
    with app.extensions["moulin.webhook_inbox"].session() as session:
        return session.scalar(select(func.count()).select_from(ReceivedDelivery))


def test_the_receiver_answers_at_once_while_a_writer_holds_the_database_lock(sqlite_app):
    # The backfill holds the database's write lock for seconds at a time: the receiver writes to its own file.
    client = sqlite_app.test_client()
    with write_lock_held(sqlite_app.extensions["moulin.db"]):
        response = post_events(client, [event("contact.deletion", 1, 1_000)])
    assert response.status_code == 200, response.data
    # The job (inline here) was refused by the lock: the delivery waits in the inbox, stored once the lock is gone.
    assert stored_events(sqlite_app) == 0 and received(sqlite_app) == 1
    process_inbox(sqlite_app.extensions["moulin.db"], sqlite_app.extensions["moulin.webhook_inbox"], 4242)
    assert stored_events(sqlite_app) == 1 and received(sqlite_app) == 0


def test_the_receiver_answers_503_with_retry_after_while_its_inbox_is_locked(sqlite_app):
    delivery = [event("contact.deletion", 1, 1_000)]
    client = sqlite_app.test_client()
    with write_lock_held(sqlite_app.extensions["moulin.webhook_inbox"]):
        response = post_events(client, delivery)
    assert response.status_code == 503, response.data
    assert response.get_json()["error"] == "unavailable" and int(response.headers["Retry-After"]) > 0
    assert received(sqlite_app) == 0 and stored_events(sqlite_app) == 0
    # HubSpot's retry, once the lock is gone, stores the delivery.
    assert post_events(client, delivery).status_code == 200
    assert stored_events(sqlite_app) == 1


def test_a_locked_database_leaves_the_unit_of_work_as_database_busy(sqlite_app):
    database = sqlite_app.extensions["moulin.db"]
    with write_lock_held(database), pytest.raises(DatabaseBusy, match="locked"):
        with database.session() as session:
            install(session, portal_id=PORTAL + 1)
    with database.session() as session:  # nothing half-written: the unit of work was rolled back
        install(session, portal_id=PORTAL + 1)


def test_a_sync_job_refused_by_the_lock_is_retried_not_dead_lettered_for_good(sqlite_app):
    database = sqlite_app.extensions["moulin.db"]
    locker = sqlite3.connect(database.engine.url.database, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")

    def service(portal_id: int) -> dict:
        try:
            with database.session() as session:
                install(session, portal_id=portal_id + 1)
        finally:  # the other writer finishes soon after: by the job boundary the lock is free again
            locker.execute("ROLLBACK")
            locker.close()
        return {}

    job = tasks._recorded("sync.customer", service)
    with sqlite_app.app_context(), pytest.raises(DatabaseBusy):  # raised back to Huey, which retries it
        job(PORTAL)
    with database.session() as session:
        errors = list(session.scalars(select(SyncError)))
    assert [(e.kind, "DatabaseBusy" in e.message) for e in errors] == [("job", True)]
