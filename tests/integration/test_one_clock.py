"""One clock: rows are stamped by the app's injectable clock, in column defaults and in services alike."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from hubspot_app.clock import MovableClock
from hubspot_app import create_app
from hubspot_app.db.models import SyncCheckpoint, SyncError
from hubspot_app.db import repository as repo

pytestmark = pytest.mark.db
LONG_AGO = datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone.utc)


@pytest.fixture
def old_app(make_config):
    app = create_app(make_config(), clock=MovableClock(LONG_AGO))
    app.extensions["moulin.db"].create_all()
    yield app
    app.extensions["moulin.db"].dispose()


def test_column_defaults_and_updates_follow_the_app_clock(old_app):
    database, clock = old_app.extensions["moulin.db"], old_app.extensions["moulin.clock"]
    with database.session() as session:
        row = SyncCheckpoint(portal_id=7, store_code="b2c", mode="poll")
        session.add(row)
        session.flush()
        assert row.updated_at == LONG_AGO
        clock.advance(3600)
        row.position = 5
        session.flush()
        assert row.updated_at == clock() != LONG_AGO


def test_what_a_service_records_moves_with_the_clock(old_app):
    database, clock = old_app.extensions["moulin.db"], old_app.extensions["moulin.clock"]
    with database.session() as session:
        repo.record_errors(session, 7, "job", {"sync.poll:7": "boom"})
    clock.advance(86400)
    with database.session() as session:
        repo.record_errors(session, 7, "job", {"sync.poll:7": "boom again"})
    with database.session() as session:
        error = session.scalar(select(SyncError))
        assert (error.first_seen_at, error.last_seen_at) == (LONG_AGO, clock())
