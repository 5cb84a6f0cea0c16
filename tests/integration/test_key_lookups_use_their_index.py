"""Lookups by key find their rows through the key's index, so that their cost does not grow with the shop's
history. Each test runs a lookup, asks the database for the plan of every statement it sent, and checks that the
statement on the looked-up table is an index search whose condition holds the key.

The trap they guard (issue 12, fourth session): beside a key list, a condition such as `hubspot_contact_id IS
NOT NULL` made SQLite read another index from end to end, every card row of the portal at every chunk of a
backfill (32 µs of CPU per order at 100,000 orders against 2 at 10,000); and SQLite never uses an index for
LIKE, so a prefix lookup read every link of its kind. SQLite only (the suite's run without `-m db`): SQLite plans
by rules, as it will on a shop's database (we keep no statistics); PostgreSQL plans by the statistics of its
tables, and those of a test's few rows say nothing of a shop's.
"""
import re
from datetime import datetime, timezone

from sqlalchemy import event

from hubspot_app import extensions
from hubspot_app.db import repository as repo
from hubspot_app.db.prefix import after_every
from hubspot_app.sync import reconcile
from hubspot_app.webhooks import handlers

PORTAL = 41


def _plans(session, lookup, table: str) -> list[str]:
    """The plans of the statements on `table` that `lookup` sent, one text each."""
    sent = []
    engine = session.get_bind()

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if re.search(rf"\bFROM {table}\b", statement):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        lookup()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert sent, f"the lookup sent no statement on {table}"
    assert engine.dialect.name == "sqlite"
    connection = session.connection()
    return ["\n".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            for statement, parameters in sent]


def _searches_by(plan: str, key: str) -> bool:
    """The plan finds its rows through an index whose condition holds `key`."""
    return bool(re.search(rf"SEARCH \w+ USING (COVERING )?INDEX \S+ \(.*\b{key}\b", plan))


def test_card_values_are_found_by_their_order_key(app):
    orders = [("b2c", str(n)) for n in range(5)]
    with app.app_context(), extensions.db().session() as session:
        for lookup in (repo.card_contact_ids, repo.reached_stages):
            for plan in _plans(session, lambda: lookup(session, PORTAL, orders), "card_orders"):
                assert _searches_by(plan, "order_id"), plan


def test_links_under_a_prefix_are_found_by_their_key(app):
    with app.app_context(), extensions.db().session() as session:
        for plan in _plans(session, lambda: repo.links_with_prefix(session, PORTAL, "line_item", "b2c:7:"),
                           "object_links"):
            assert _searches_by(plan, "source_key"), plan


def test_reconcile_and_merge_find_links_by_their_key(app):
    # lists of a real size: SQLite weighs an IN list by its length, and a short one hid the trap
    with app.app_context(), extensions.db().session() as session:
        repo.save_card_orders(session, [{"portal_id": PORTAL, "store_code": "b2c", "order_id": str(n),
                                         "order_number": f"N{n}", "hubspot_contact_id": "501", "status": "paid",
                                         "currency": "EUR", "total": 1, "refunded": 0, "item_count": 1,
                                         "ordered_at": datetime(2026, 3, 1, tzinfo=timezone.utc)}
                                        for n in range(50)])
        lookups = (lambda: reconcile._links(session, PORTAL, "deal", {f"b2c:{n}" for n in range(50)}),
                   lambda: handlers._reassociate_deals(session, PORTAL, {"501"}, "502"))
        for lookup in lookups:
            for plan in _plans(session, lookup, "object_links"):
                assert _searches_by(plan, "source_key"), plan


def test_the_prefix_range_holds_exactly_the_strings_that_start_with_the_prefix():
    assert after_every("b2c:7:") == "b2c:7;"
    assert after_every("a\U0010ffff") == "b" and after_every("\U0010ffff") is None and after_every("") is None
    assert after_every("x\ud7ff") == "x\ue000"  # past the surrogates, which are not text
    for prefix in ("b2c:7:", "é", "a\U0010ffff"):
        upper = after_every(prefix)
        for key in (prefix, prefix + "\x00", prefix + "\U0010ffff" * 3, prefix + "zz"):
            assert prefix <= key < upper
        assert not prefix[:-1] + chr(ord(prefix[-1]) - 1) + "\U0010ffff" >= prefix
