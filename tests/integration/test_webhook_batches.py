"""A delivery (up to 100 events) is processed as one batch: set-based reads and writes, the same end state as
one event at a time, each event processed once, a bad event failed alone. Driven through the signed endpoint
(the queue runs inline in tests)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event as sa_event, select

from hubspot_app.db.models import CardOrder, ObjectLink
from hubspot_app.db.models.webhooks import HubSpotObjectState, PendingAssociation, SyncConflict, WebhookEvent
from tests.webhook_support import card, event, install, link, post_events, store
from tests.webhook_support import replay as replay_deliveries

pytestmark = pytest.mark.db

CONTACTS = 100


def seed(session):
    install(session)
    store(session)
    for n in range(1, CONTACTS + 1):
        link(session, "contact", f"c{n}@moulin.fr", str(n))
        card(session, f"o{n}", f"c{n}@moulin.fr", str(n), str(1000 + n))
        link(session, "deal", f"shop:o{n}", str(1000 + n))
    link(session, "contact", "new@moulin.fr", None)


@pytest.fixture
def database(app, client):
    return replay_deliveries(app, client, seed, [])


@contextmanager
def statements(database):
    """Counts the SQL statements sent (an executemany counts once): what "set-based" means, observed."""
    sent = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    sa_event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        sa_event.remove(database.engine, "before_cursor_execute", count)


def statuses(database) -> dict[str, int]:
    with database.session() as session:
        rows = session.scalars(select(WebhookEvent))
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        return counts


def snapshot(database) -> dict:
    with database.session() as session:
        return {
            "links": {(l.kind, l.source_key): (l.hubspot_id, l.state) for l in session.scalars(select(ObjectLink))},
            "cards": {c.order_id: (c.contact_email, c.hubspot_contact_id, c.hubspot_deal_id)
                      for c in session.scalars(select(CardOrder))},
            "facts": {(s.object_type, s.object_id): (s.lifecycle, s.lifecycle_at_ms, s.merged_into, s.email_at_ms)
                      for s in session.scalars(select(HubSpotObjectState))},
            "pending": sorted((p.from_id, p.to_id) for p in session.scalars(select(PendingAssociation))),
            "conflicts": sorted((c.hubspot_id, c.reason) for c in session.scalars(select(SyncConflict))),
        }


def test_a_delivery_of_100_events_is_handled_as_one_batch(database, client):
    delivery = [event("contact.deletion", n, 2_000 + n) for n in range(1, 51)] + \
               [event("deal.deletion", 1000 + n, 2_000 + n) for n in range(1, 51)]
    with statements(database) as sent:
        response = post_events(client, delivery)
    assert response.get_json()["events"] == 100
    assert statuses(database) == {"processed": 100}
    state = snapshot(database)
    assert all(state["links"][("contact", f"c{n}@moulin.fr")] == (str(n), "deleted_in_hubspot") for n in range(1, 51))
    assert state["cards"]["o1"] == ("c1@moulin.fr", None, None) and state["cards"]["o51"][1:] == ("51", "1051")
    # A fixed handful of statements for the whole delivery (one event at a time, it took several per event).
    assert len(sent) < 20, sent


def test_a_resent_delivery_is_ignored_and_nothing_is_processed_twice(database, client):
    delivery = [event("contact.deletion", n, 2_000) for n in range(1, 101)]
    post_events(client, delivery)
    with database.session() as session:
        first = {row.id: (row.status, row.processed_at) for row in session.scalars(select(WebhookEvent))}
    assert post_events(client, delivery + delivery[:10]).status_code == 200  # a retry, with duplicates inside too
    with database.session() as session:
        assert {row.id: (row.status, row.processed_at) for row in session.scalars(select(WebhookEvent))} == first


def test_one_failing_event_is_failed_alone_and_the_other_99_are_processed(database, client):
    bad = event("contact.merge", 1, 1_500, primaryObjectId=1, mergedObjectIds=7)  # not a list: its handler breaks
    delivery = [event("contact.deletion", n, 2_000 + n) for n in range(1, 100)]
    assert post_events(client, delivery[:40] + [bad] + delivery[40:]).status_code == 200
    assert statuses(database) == {"processed": 99, "failed": 1}
    with database.session() as session:
        failed = session.scalar(select(WebhookEvent).where(WebhookEvent.status == "failed"))
    assert failed.subscription_type == "contact.merge" and "TypeError" in failed.outcome
    links = snapshot(database)["links"]
    assert all(links[("contact", f"c{n}@moulin.fr")][1] == "deleted_in_hubspot" for n in range(1, 100))


# Lifecycle runs around merges, email changes and a privacy deletion, several events per object: a contact
# deleted then restored inside one run, a deal deleted twice and restored, stale events, a merge between runs.
MIXED = [
    event("contact.deletion", 1, 1_000),
    event("contact.restore", 1, 1_100),
    event("contact.deletion", 2, 1_200),
    event("deal.deletion", 1001, 1_200),
    event("deal.deletion", 1001, 1_300),
    event("contact.merge", 3, 1_400, primaryObjectId=3, mergedObjectIds=[2]),
    event("contact.deletion", 3, 1_500),
    event("contact.propertyChange", 4, 1_600, propertyName="email", propertyValue="new@moulin.fr"),
    event("contact.deletion", 4, 1_700),
    event("deal.restore", 1001, 1_800),
    event("contact.restore", 3, 1_900),
    event("contact.privacyDeletion", 5, 2_000),
    event("contact.restore", 5, 2_100),
    event("contact.deletion", 1, 900),  # stale: older than what is known
    event("deal.deletion", 1002, 2_200),
    event("contact.restore", 4, 2_300),
]


def replay(app, client, deliveries) -> dict:
    database = replay_deliveries(app, client, seed, deliveries)
    assert set(statuses(database)) == {"processed"}
    return snapshot(database)


def test_a_mixed_batch_converges_to_the_same_state_as_one_event_at_a_time(app, client):
    one_by_one = replay(app, client, [[e] for e in MIXED])
    assert one_by_one["links"][("contact", "c1@moulin.fr")] == ("1", "synced")
    assert one_by_one["links"][("contact", "c2@moulin.fr")] == ("3", "synced")
    assert one_by_one["links"][("contact", "new@moulin.fr")] == ("4", "synced")
    assert one_by_one["cards"]["o1"] == ("c1@moulin.fr", "1", "1001")
    assert replay(app, client, [MIXED]) == one_by_one
    assert replay(app, client, [MIXED[:7], MIXED[7:]]) == one_by_one


def test_a_run_after_an_email_change_moves_the_link_the_handler_relinked(app, client):
    # The email change writes links through ORM objects, the deletion run reads and writes them as rows: in one
    # batch the run must find the new-email link pointing at the contact, and mark it deleted.
    changes = [
        event("contact.propertyChange", 4, 1_600, propertyName="email", propertyValue="new@moulin.fr"),
        event("contact.deletion", 4, 1_700),
    ]
    one_by_one = replay(app, client, [[e] for e in changes])
    assert one_by_one["links"][("contact", "new@moulin.fr")] == ("4", "deleted_in_hubspot")
    assert one_by_one["links"][("contact", "c4@moulin.fr")] == (None, "synced")
    assert replay(app, client, [changes]) == one_by_one
