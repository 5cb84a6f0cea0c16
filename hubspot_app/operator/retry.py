"""Retry failed records by re-running the sync engine's own jobs, chosen from each error's kind and key.

Pure planning, then one enqueue per distinct job: ten failing deals of one
customer become one `sync.customer` run, which reads that customer's orders
again from Moulin (so a fix made there is picked up) and writes what changed.
Records the engine cannot re-read by themselves (a product, a company, bad
data in Moulin) are not retried here: they sync again at their next change.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from hubspot_app.jobs.keys import read_job_key
from hubspot_app.jobs.sync_tasks import JOBS

NOT_RETRYABLE = "syncs again at its next change in Moulin"


@dataclass(frozen=True)
class FailedRecord:
    id: int
    kind: str
    source_key: str


@dataclass
class RetryPlan:
    jobs: dict[tuple[str, tuple], list[int]] = field(default_factory=lambda: defaultdict(list))
    not_retryable: list[int] = field(default_factory=list)

    @property
    def covered(self) -> int:
        return sum(len(ids) for ids in self.jobs.values())


def order_key_of(record: FailedRecord) -> str | None:
    """The "store:order id" a deal, HubSpot order, cart or line item (of any of them) error is about."""
    if record.kind in ("deal", "order", "cart"):
        return record.source_key
    if record.kind in ("line_item", "order_line", "cart_line"):  # a cart line's key is "cart/store:order:line"
        return ":".join(record.source_key.removeprefix("cart/").split(":")[:2])
    return None


def plan_retries(portal_id: int, records: Iterable[FailedRecord], email_of_order: dict[str, str | None]) -> RetryPlan:
    plan = RetryPlan()
    for record in records:
        job = _job_for(portal_id, record, email_of_order)
        if job is None:
            plan.not_retryable.append(record.id)
        else:
            plan.jobs[job].append(record.id)
    return plan


def _job_for(portal_id: int, record: FailedRecord, email_of_order: dict[str, str | None]):
    if record.kind == "contact":
        return "sync.customer", (portal_id, record.source_key)
    order_key = order_key_of(record)
    if order_key is not None:
        email = email_of_order.get(order_key)
        return ("sync.customer", (portal_id, email)) if email else None
    if record.kind == "job":
        return read_job_key(record.source_key, JOBS)
    return None
