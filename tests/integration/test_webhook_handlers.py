"""Each handler, driven through the signed endpoint (the queue runs inline in tests)."""
import json
import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from hubspot_app.db.models import CardOrder, ObjectLink
from hubspot_app.db.models.webhooks import (DealStageChange, PendingAssociation, ReceivedDelivery, SyncConflict,
                                            WebhookEvent)
from hubspot_app.db.repository import privacy_deleted_emails
from hubspot_app.domain.webhook_rules import privacy_tombstone
from hubspot_app.webhooks.events import parse_event
from hubspot_app.webhooks.intake import accept_delivery, receive
from hubspot_app.webhooks.processing import process_inbox, sweep_stale
from tests.webhook_support import APP_ID, PORTAL, card, event, install, link, post_events, store
from tests.webhook_support import replay as replay_deliveries

pytestmark = pytest.mark.db


def seed(session):
    install(session)
    store(session)
    link(session, "contact", "ana@moulin.fr", "1")
    link(session, "contact", "bea@moulin.fr", "2")
    link(session, "contact", "cyd@moulin.fr", None)
    link(session, "contact", "dan@moulin.fr", "4")
    link(session, "deal", "shop:o1", "50")
    link(session, "deal", "shop:o2", "51")
    link(session, "company", "shop:acme", "70")
    link(session, "company", "shop:acme-dup", "71")
    link(session, "product", "SKU-1", "80")
    link(session, "line_item", "shop:o1:1", "90")
    card(session, "o1", "ana@moulin.fr", "1", "50")
    card(session, "o2", "bea@moulin.fr", "2", "51")


@pytest.fixture
def db(app):
    database = app.extensions["moulin.db"]
    with database.session() as session:
        seed(session)
    return database


def links(db) -> dict:
    with db.session() as session:
        return {(l.kind, l.source_key): (l.hubspot_id, l.state) for l in session.scalars(select(ObjectLink))}


def cards(db) -> dict:
    with db.session() as session:
        return {c.order_id: (c.contact_email, c.hubspot_contact_id, c.hubspot_deal_id)
                for c in session.scalars(select(CardOrder))}


def test_contact_merge_remaps_links_cards_and_records_reassociation(db, client):
    post_events(client, [event("contact.merge", 1, 2_000, primaryObjectId=1, mergedObjectIds=[2],
                               numberOfPropertiesMoved=3)])
    assert links(db)[("contact", "bea@moulin.fr")] == ("1", "synced")
    assert cards(db)["o2"] == ("bea@moulin.fr", "1", "51")
    with db.session() as session:
        pending = [(p.from_type, p.from_id, p.to_type, p.to_id) for p in session.scalars(select(PendingAssociation))]
    assert pending == [("deal", "51", "contact", "1")]


def test_contact_merge_into_a_new_record(db, client):
    post_events(client, [event("contact.merge", 1, 2_000, primaryObjectId=1, mergedObjectIds=[2], newObjectId=3)])
    state = links(db)
    assert state[("contact", "ana@moulin.fr")] == ("3", "synced")
    assert state[("contact", "bea@moulin.fr")] == ("3", "synced")
    assert {c[1] for c in cards(db).values()} == {"3"}


def test_contact_deletion_marks_the_link_and_detaches_cards_restore_undoes_it(db, client):
    post_events(client, [event("contact.deletion", 1, 2_000)])
    assert links(db)[("contact", "ana@moulin.fr")] == ("1", "deleted_in_hubspot")
    assert cards(db)["o1"] == ("ana@moulin.fr", None, "50")
    post_events(client, [event("contact.restore", 1, 3_000)])
    assert links(db)[("contact", "ana@moulin.fr")] == ("1", "synced")
    assert cards(db)["o1"] == ("ana@moulin.fr", "1", "50")


def test_privacy_deletion_purges_personal_data_for_good(db, client):
    post_events(client, [event("contact.propertyChange", 1, 1_500, propertyName="email", propertyValue="x@else.fr")])
    post_events(client, [event("contact.privacyDeletion", 1, 2_000)])
    state = links(db)
    assert ("contact", "ana@moulin.fr") not in state
    assert state[("contact", privacy_tombstone("Ana@Moulin.fr"))] == ("1", "privacy_deleted")
    assert cards(db)["o1"] == (None, None, "50")
    with db.session() as session:
        assert privacy_deleted_emails(session, PORTAL, [" ANA@moulin.fr"]) == {" ANA@moulin.fr"}
        assert session.scalars(select(SyncConflict)).all() == []
        assert all("propertyValue" not in e.payload for e in session.scalars(select(WebhookEvent)))
    post_events(client, [event("contact.restore", 1, 3_000)])
    assert links(db)[("contact", privacy_tombstone("ana@moulin.fr"))] == ("1", "privacy_deleted")


def test_email_change_relinks_to_the_known_customer(db, client):
    post_events(client, [event("contact.propertyChange", 1, 2_000, propertyName="email", propertyValue="Cyd@Moulin.fr")])
    state = links(db)
    assert state[("contact", "cyd@moulin.fr")] == ("1", "synced")
    assert state[("contact", "ana@moulin.fr")] == (None, "synced")
    assert cards(db)["o1"] == ("ana@moulin.fr", None, "50")


def test_email_change_to_an_unknown_email_is_a_conflict(db, client):
    post_events(client, [event("contact.propertyChange", 1, 2_000, propertyName="email", propertyValue="new@else.fr")])
    assert links(db)[("contact", "ana@moulin.fr")] == ("1", "synced")
    with db.session() as session:
        conflicts = [(c.hubspot_id, c.reason) for c in session.scalars(select(SyncConflict))]
    assert conflicts == [("1", "email_changed_to_unknown_customer")]


def test_email_taken_from_a_customer_linked_elsewhere_is_a_conflict(db, client):
    post_events(client, [event("contact.propertyChange", 1, 2_000, propertyName="email", propertyValue="bea@moulin.fr")])
    assert links(db)[("contact", "bea@moulin.fr")] == ("2", "synced")
    with db.session() as session:
        assert session.scalar(select(SyncConflict.reason)) == "email_matches_customer_linked_elsewhere"


def test_our_own_email_write_is_ignored(db, client):
    post_events(client, [event("contact.propertyChange", 1, 2_000, propertyName="email", propertyValue="cyd@moulin.fr",
                               changeSource="INTEGRATION", sourceId=str(APP_ID))])
    assert links(db)[("contact", "ana@moulin.fr")] == ("1", "synced")


def test_deal_deletion_marks_the_link_and_the_card_restore_undoes_it(db, client):
    post_events(client, [event("deal.deletion", 50, 2_000)])
    assert links(db)[("deal", "shop:o1")] == ("50", "deleted_in_hubspot")
    assert cards(db)["o1"] == ("ana@moulin.fr", "1", None)
    post_events(client, [event("deal.restore", 50, 3_000)])
    assert links(db)[("deal", "shop:o1")] == ("50", "synced")
    assert cards(db)["o1"] == ("ana@moulin.fr", "1", "50")


@pytest.mark.parametrize("stage_source,adopted", [(None, False), ("hubspot", True)])
def test_deal_stage_change_by_a_person_is_recorded(app, client, stage_source, adopted):
    database = app.extensions["moulin.db"]
    with database.session() as session:
        install(session)
        store(session, **({"stage_source": stage_source} if stage_source else {}))
        link(session, "deal", "shop:o1", "50")
    post_events(client, [event("deal.propertyChange", 50, 2_000, propertyName="dealstage", propertyValue="shipped"),
                         event("deal.propertyChange", 50, 2_500, propertyName="dealstage", propertyValue="paid",
                               changeSource="INTEGRATION", sourceId=str(APP_ID))])
    with database.session() as session:
        rows = [(r.hubspot_deal_id, r.order_key, r.stage, r.adopted) for r in session.scalars(select(DealStageChange))]
    assert rows == [("50", "shop:o1", "shipped", adopted)]


def test_company_merge_and_deletions_mark_links_for_the_next_sync(db, client):
    post_events(client, [event("company.merge", 70, 2_000, primaryObjectId=70, mergedObjectIds=[71]),
                         event("product.deletion", 80, 2_000), event("line_item.deletion", 90, 2_000),
                         event("company.deletion", 70, 3_000)])
    state = links(db)
    assert state[("company", "shop:acme")] == ("70", "deleted_in_hubspot")
    assert state[("company", "shop:acme-dup")] == ("70", "deleted_in_hubspot")
    assert state[("product", "SKU-1")] == ("80", "deleted_in_hubspot")
    assert state[("line_item", "shop:o1:1")] == ("90", "deleted_in_hubspot")


HISTORY = [
    event("contact.propertyChange", 4, 1_000, propertyName="email", propertyValue="cyd@moulin.fr"),
    event("contact.deletion", 4, 1_500),
    event("contact.merge", 1, 2_000, primaryObjectId=1, mergedObjectIds=[2]),
    event("deal.deletion", 50, 2_500),
    event("contact.deletion", 1, 3_000),
    event("contact.restore", 1, 4_000),
    event("company.merge", 70, 4_000, primaryObjectId=70, mergedObjectIds=[71]),
    event("deal.deletion", 51, 4_500),
    event("deal.restore", 51, 5_000),
    event("contact.deletion", 1, 6_000),
]


def replay(app, client, batches) -> tuple:
    database = replay_deliveries(app, client, seed, batches)
    return links(database), cards(database)


def test_duplicates_and_reordering_give_the_clean_result(app, client):
    clean = replay(app, client, [HISTORY])
    assert clean[0][("contact", "cyd@moulin.fr")] == ("4", "deleted_in_hubspot")
    assert clean[0][("contact", "dan@moulin.fr")] == (None, "synced")
    assert clean[0][("contact", "bea@moulin.fr")] == ("1", "deleted_in_hubspot")
    assert clean[0][("deal", "shop:o2")] == ("51", "synced")
    assert replay(app, client, [[e] for e in reversed(HISTORY)]) == clean
    rng = random.Random(5)
    for _ in range(6):
        shuffled = HISTORY + rng.sample(HISTORY, 4)
        rng.shuffle(shuffled)
        size = rng.randint(1, 3)
        batches = [shuffled[i:i + size] for i in range(0, len(shuffled), size)]
        assert replay(app, client, batches) == clean


class QueueDown:
    def enqueue(self, *_args):
        raise ConnectionError("the queue is down")


def lost_job(app) -> None:
    """A delivery received but never enqueued, as when the queue is down right after the commit (the receiver
    answers 503)."""
    with pytest.raises(ConnectionError):
        receive(app.extensions["moulin.webhook_inbox"], QueueDown(),
                json.dumps([event("contact.deletion", 1, 2_000)]).encode())


def test_a_delivery_whose_job_was_lost_is_taken_by_the_next_delivery_s_job(app, db, client):
    lost_job(app)
    assert links(db)[("contact", "ana@moulin.fr")] == ("1", "synced")
    assert post_events(client, [event("contact.deletion", 2, 2_000)]).status_code == 200
    assert links(db)[("contact", "ana@moulin.fr")] == ("1", "deleted_in_hubspot")
    assert links(db)[("contact", "bea@moulin.fr")] == ("2", "deleted_in_hubspot")


def test_a_delivery_whose_job_was_lost_is_swept(app, db, clock):
    inbox = app.extensions["moulin.webhook_inbox"]
    lost_job(app)
    assert sweep_stale(db, inbox, APP_ID) == 0  # received just now: its job may still be on its way
    clock.advance(1)  # stamped by the app's clock, so "older than nothing" needs its time to pass
    assert sweep_stale(db, inbox, APP_ID, older_than=timedelta(0)) == 1
    assert links(db)[("contact", "ana@moulin.fr")] == ("1", "deleted_in_hubspot")
    assert sweep_stale(db, inbox, APP_ID, older_than=timedelta(0)) == 0


class QueueLater:
    def enqueue(self, *_args):
        pass  # the job would run later, in the worker


def test_a_delivery_one_job_has_taken_is_skipped_by_another(app, db):
    if not db.url.startswith("postgresql"):
        pytest.skip("row locks: SQLite has one writer, and the inbox's rows are not locked")
    inbox = app.extensions["moulin.webhook_inbox"]
    receive(inbox, QueueLater(), json.dumps([event("contact.deletion", 1, 2_000)]).encode())
    with inbox.session() as other_job:
        other_job.execute(select(ReceivedDelivery).with_for_update())
        assert process_inbox(db, inbox, APP_ID) == 0
        assert links(db)[("contact", "ana@moulin.fr")] == ("1", "synced")
    assert process_inbox(db, inbox, APP_ID) == 1
    assert links(db)[("contact", "ana@moulin.fr")] == ("1", "deleted_in_hubspot")


def test_events_stored_but_left_pending_are_swept(app, db, clock):
    # Stored by a job that died before processing them (or by a receiver from before the inbox).
    with db.session() as session:
        accept_delivery(session, [parse_event(event("contact.deletion", 1, 2_000))])
    clock.advance(1)
    assert sweep_stale(db, app.extensions["moulin.webhook_inbox"], APP_ID, older_than=timedelta(0)) == 1
    assert links(db)[("contact", "ana@moulin.fr")] == ("1", "deleted_in_hubspot")


def test_an_event_that_breaks_its_handler_is_marked_failed_and_the_others_go_through(db, client):
    bad = event("contact.merge", 1, 2_000, primaryObjectId=1, mergedObjectIds=5)  # not a list
    response = post_events(client, [bad, event("contact.deletion", 2, 2_500), event("deal.deletion", 50, 2_600)])
    assert response.status_code == 200
    with db.session() as session:
        statuses = {e.subscription_type: (e.status, e.outcome) for e in session.scalars(select(WebhookEvent))}
    assert statuses["contact.merge"][0] == "failed" and "TypeError" in statuses["contact.merge"][1]
    assert statuses["contact.deletion"][0] == statuses["deal.deletion"][0] == "processed"
    assert links(db)[("contact", "bea@moulin.fr")] == ("2", "deleted_in_hubspot")
    assert links(db)[("deal", "shop:o1")] == ("50", "deleted_in_hubspot")
