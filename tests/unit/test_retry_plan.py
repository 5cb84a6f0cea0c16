"""Which engine job re-reads which failed record."""
from __future__ import annotations

from hubspot_app.operator.retry import FailedRecord, plan_retries

EMAILS = {"b2c:o1": "ann@x.example", "b2c:o2": "ann@x.example", "b2b:o9": None}


def plan(*records):
    return plan_retries(7, [FailedRecord(i, kind, key) for i, (kind, key) in enumerate(records, start=1)], EMAILS)


def test_deals_and_lines_of_one_customer_make_one_job():
    result = plan(("deal", "b2c:o1"), ("line_item", "b2c:o2:l3"), ("deal", "b2c:o2"))
    assert dict(result.jobs) == {("sync.customer", (7, "ann@x.example")): [1, 2, 3]}
    assert result.covered == 3 and result.not_retryable == []


def test_hubspot_orders_and_their_line_items_retry_like_deals():
    result = plan(("order", "b2c:o1"), ("order_line", "b2c:o2:l3@order"), ("deal", "b2c:o2"))
    assert dict(result.jobs) == {("sync.customer", (7, "ann@x.example")): [1, 2, 3]}


def test_carts_and_their_line_items_retry_like_deals():
    result = plan(("cart", "b2c:o1"), ("cart_line", "cart/b2c:o2:l3"))
    assert dict(result.jobs) == {("sync.customer", (7, "ann@x.example")): [1, 2]}


def test_failed_jobs_are_rerun_with_their_own_arguments():
    result = plan(("job", "sync.backfill:7:b2c"), ("job", "sync.poll:7"), ("job", "sync.moulin_event:42"),
                  ("job", "sync.customer:7:odd:name@x.example"))
    assert list(result.jobs) == [("sync.backfill", (7, "b2c")), ("sync.poll", (7,)), ("sync.moulin_event", (42,)),
                                 ("sync.customer", (7, "odd:name@x.example"))]


def test_what_cannot_be_reread_alone_is_set_aside():
    result = plan(("product", "SKU-1"), ("company", "b2b:acc-1"), ("moulin_record", "order:o5"),
                  ("deal", "b2b:o9"), ("deal", "b2c:unknown"), ("job", "sync.unknown:7"), ("job", "sync.poll:x"))
    assert dict(result.jobs) == {}
    assert result.not_retryable == [1, 2, 3, 4, 5, 6, 7]


def test_a_failed_delivery_of_links_to_a_store_is_sent_again_by_retry():
    result = plan(("job", "sync.store_links:7:b2c"))
    assert list(result.jobs) == [("sync.store_links", (7, "b2c"))]


def test_every_registered_sync_job_is_retryable_from_its_own_key():
    from hubspot_app.jobs.keys import job_key
    from hubspot_app.jobs.sync_tasks import JOBS

    args = {"sync.customer": (7, "ann@x.example"), "sync.moulin_event": (42,), "sync.backfill": (7, "b2c"),
            "sync.store_links": (7, "b2c"), "sync.archive_target": (7, "b2c")}
    records = [("job", job_key(name, args.get(name, (7,)))) for name in JOBS]
    assert list(plan(*records).jobs) == [(name, args.get(name, (7,))) for name in JOBS]
    assert ("sync.reconcile", (7,)) in plan(("job", "sync.reconcile:7")).jobs
