"""`db.bulk`: a batch's rows inserted and updated in one statement, with the same rows stored on both
databases (on PostgreSQL they travel as one JSON document; text with quotes and commas, nested payloads, 64-bit
numbers and datetimes come back as they were sent) and the inserted ids in the rows' order. Payloads that no
database could store (NUL, integers past 64 bits) are refused before they get here (`untrusted_json.unstorable`)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from hubspot_app import extensions
from hubspot_app.db.models.webhooks import WebhookEvent
from hubspot_app.db import bulk

pytestmark = pytest.mark.db

TABLE = WebhookEvent.__table__
AT = datetime(2026, 12, 2, 5, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
ODD_TEXT = ['it\'s "quoted", {braced}', "back\\slash", "é ü 日本", "NULL", ""]


def _row(n: int, **changes) -> dict:
    row = dict(dedupe_key=f"key-{n}", delivery_id="d1", portal_id=2**40 + n, subscription_type="contact.deletion",
               object_type="contact", object_id=ODD_TEXT[n % len(ODD_TEXT)] or str(n), occurred_at_ms=2**53 + n,
               payload={"n": n, "big": -(2**63), "text": ODD_TEXT[n % len(ODD_TEXT)], "nested": [{"a": None}]},
               status="pending", received_at=AT)
    return {**row, **changes}


def _stored(session) -> dict:
    return {row.dedupe_key: row for row in session.execute(select(TABLE)).all()}


def test_inserted_rows_come_back_in_their_order_and_as_sent(app):
    with app.app_context(), extensions.db().session() as session:
        first = bulk.insert_new(session, TABLE, [_row(n) for n in (3, 1, 2)], ("dedupe_key",), TABLE.c.id,
                                TABLE.c.dedupe_key)
        assert [key for _, key in first] == ["key-3", "key-1", "key-2"]
        assert [row_id for row_id, _ in first] == sorted(row_id for row_id, _ in first)
        # Stored keys are skipped, new ones inserted, still in order.
        again = bulk.insert_new(session, TABLE, [_row(n) for n in (5, 1, 4)], ("dedupe_key",), TABLE.c.dedupe_key)
        assert again == [("key-5",), ("key-4",)]
        stored = _stored(session)
        for n in (1, 2, 3, 4, 5):
            row, sent = stored[f"key-{n}"], _row(n)
            assert (row.object_id, row.portal_id, row.occurred_at_ms) == (sent["object_id"], sent["portal_id"],
                                                                          sent["occurred_at_ms"])
            assert row.payload == sent["payload"]
            assert row.received_at == AT and row.received_at.utcoffset() == timedelta(0)


def test_updates_set_each_rows_own_values_and_the_shared_ones(app):
    later = AT + timedelta(minutes=5)
    with app.app_context(), extensions.db().session() as session:
        inserted = dict((key, row_id) for row_id, key in bulk.insert_new(
            session, TABLE, [_row(n) for n in range(4)], ("dedupe_key",), TABLE.c.id, TABLE.c.dedupe_key))
        bulk.update_rows(session, TABLE, ("id",), ("status", "outcome"), [
            {"id": inserted["key-0"], "status": "processed", "outcome": ODD_TEXT[0]},
            {"id": inserted["key-2"], "status": "failed", "outcome": "a, b; c"},
        ], processed_at=later)
        stored = _stored(session)
        assert [(stored[f"key-{n}"].status, stored[f"key-{n}"].outcome) for n in range(4)] == [
            ("processed", ODD_TEXT[0]), ("pending", None), ("failed", "a, b; c"), ("pending", None)]
        assert stored["key-0"].processed_at == later and stored["key-1"].processed_at is None


def test_a_naive_datetime_is_refused_on_either_database(app):
    with app.app_context(), extensions.db().session() as session:
        with pytest.raises(Exception, match="naive datetime"):
            bulk.insert_new(session, TABLE, [_row(1, received_at=datetime(2026, 12, 2))], ("dedupe_key",),
                            TABLE.c.id)


def test_completed_hashes_land_only_on_this_portal_and_kind_and_only_where_none_is_stored(app):
    from hubspot_app.db import repository as repo
    from hubspot_app.db.models import ObjectLink

    with app.app_context(), extensions.db().session() as session:
        repo.save_links(session, 1, "deal", {"a": ("11", None, "synced"), "b": ("12", "kept", "synced"),
                                             "c": ("13", None, "synced")})
        repo.save_links(session, 1, "line_item", {"a": ("21", None, "synced")})
        repo.save_links(session, 2, "deal", {"a": ("31", None, "synced")})
        repo.complete_hashes(session, 1, "deal", {"a": "new-a", "b": "new-b", "x": "no such link"})
        stored = {(row.portal_id, row.kind, row.source_key): row.content_hash
                  for row in session.scalars(select(ObjectLink))}
    assert stored == {(1, "deal", "a"): "new-a", (1, "deal", "b"): "kept", (1, "deal", "c"): None,
                      (1, "line_item", "a"): None, (2, "deal", "a"): None}
