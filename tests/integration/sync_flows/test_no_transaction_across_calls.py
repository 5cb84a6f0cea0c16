"""No HubSpot call is made while a database transaction is open: the sandbox's request log against the
engine's own begin / commit / rollback events."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import event

from hubspot_app.sync.backfill import backfill
from hubspot_app.sync.engine import sync_customer_orders

from .test_identity_totals import admin, contacts_by_email, customer_with_purchases, email_of

pytestmark = pytest.mark.db


class OpenTransactions:
    """When a transaction was open on any connection of the engine (begin -> commit or rollback)."""

    def __init__(self, engine) -> None:
        self.engine, self.spans, self._open = engine, [], {}
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _begin(self, connection) -> None:
        self._open[id(connection)] = time.time()

    def _end(self, connection) -> None:
        began = self._open.pop(id(connection), None)
        if began is not None:
            self.spans.append((began, time.time()))

    def during(self, requests) -> list:
        """The requests answered while some transaction was open (one still open counts until now)."""
        spans = [*self.spans, *((began, time.time()) for began in self._open.values())]
        return [r for r in requests if any(began <= r.at <= ended for began, ended in spans)]

    def close(self) -> None:
        for name, listener in (("begin", self._begin), ("commit", self._end), ("rollback", self._end)):
            event.remove(self.engine, name, listener)


@pytest.fixture
def transactions(world):
    watched = OpenTransactions(world.app.extensions["moulin.db"].engine)
    yield watched
    watched.close()


def _portal_requests(world, since: float) -> list:
    return [e for e in world.state.request_log.entries() if e.portal_id == world.portal_id and e.at >= since]


def test_a_first_sync_sets_the_portal_up_with_no_transaction_open(world, stores, transactions):
    store, server = stores(orders=6, seed=3, store_code="b2c")
    world.connect(store, server)
    since = time.time()
    world.run(backfill, world.portal_id)  # not set up yet: the first chunk makes the properties and pipeline

    requests = _portal_requests(world, since)
    setup_calls = [r for r in requests if "/properties/" in r.path or "/pipelines/" in r.path]
    assert setup_calls and any(r.method == "POST" for r in setup_calls)
    assert transactions.spans  # the sync did use the database
    assert transactions.during(requests) == []


def test_an_email_change_moves_the_contact_with_no_transaction_open(world, stores, transactions):
    store, server = stores(orders=30, seed=7, store_code="b2c")
    world.connect(store, server)
    world.run(backfill, world.portal_id)
    customer_id = customer_with_purchases(store)
    contact_id = contacts_by_email(world)[email_of(store, customer_id)]["id"]

    since = time.time()
    admin(server, "POST", f"/customers/{customer_id}/email", {"email": "Nouvelle.Adresse@Exemple.fr"})
    world.run(sync_customer_orders, world.portal_id, "nouvelle.adresse@exemple.fr")

    assert contacts_by_email(world)["nouvelle.adresse@exemple.fr"]["id"] == contact_id  # the move happened
    requests = _portal_requests(world, since)
    assert any(r.path.endswith("/contacts/batch/update") for r in requests)
    assert transactions.during(requests) == []
