"""Links back to the store, pure: which HubSpot records each Moulin order and customer has, and what changed.

The store learns the ids and record-page URLs of what the sync made of its
records (the optional `PUT /hubspot-links` of docs/moulin-api.yaml): per order
its deal and its HubSpot order (each null when the store's target does not write
it), per customer its contact and company. A link is
sent when it differs from what the store last received, never again otherwise.
I/O lives in `links_delivery`.

Record pages: `hubspot.record_pages`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from hubspot_app.domain.record_pages import record_url

TARGETS = {"order": ("deal", "order"), "customer": ("contact", "company")}
BATCH = 100  # records per request, as the contract allows

RecordKey = tuple[str, str]  # (kind: "order" | "customer", Moulin record id)


@dataclass(frozen=True)
class OrderRecords:
    """What one synced order became in HubSpot (None: no such record)."""

    order_id: str
    customer_id: str | None
    deal_id: str | None
    contact_id: str | None
    company_id: str | None
    order_hubspot_id: str | None = None  # HubSpot's native order (store target `orders` or `both`)


def wanted_links(app_host: str, portal_id: int, synced: Iterable[OrderRecords]) -> dict[RecordKey, dict]:
    """The links the store should hold for these orders and their customers: {target: {id, url} | None}."""
    def link(target: str, hubspot_id: str | None) -> dict | None:
        return {"id": hubspot_id, "url": record_url(app_host, portal_id, target, hubspot_id)} if hubspot_id else None

    wanted: dict[RecordKey, dict] = {}
    for order in synced:
        wanted[("order", order.order_id)] = {"deal": link("deal", order.deal_id),
                                             "order": link("order", order.order_hubspot_id)}
        if order.customer_id:
            wanted[("customer", order.customer_id)] = {"contact": link("contact", order.contact_id),
                                                       "company": link("company", order.company_id)}
    return wanted


@dataclass(frozen=True)
class LinkState:
    links: dict
    sent: dict | None


def changes(wanted: dict[RecordKey, dict], known: dict[RecordKey, LinkState]) -> dict[RecordKey, tuple[dict, bool]]:
    """The rows to write, key -> (links, pending): only where the wanted links are new or differ from the row.

    `pending` is whether the store has yet to receive them: a link changed and changed back before it was
    sent is not sent at all.
    """
    return {key: (links, links != (known[key].sent if key in known else None))
            for key, links in wanted.items() if key not in known or known[key].links != links}


def awaiting(known: dict[RecordKey, LinkState], rows: dict[RecordKey, tuple[dict, bool]]) -> bool:
    """Whether any record of this sync still waits for the store: changed now, or not delivered before."""
    return any(pending for _, pending in rows.values()) or any(
        state.links != state.sent for key, state in known.items() if key not in rows)


def payload(portal_id: int, rows: Iterable[tuple[RecordKey, dict]]) -> dict:
    """The body of one `PUT /hubspot-links`."""
    body: dict = {"portal_id": portal_id, "orders": [], "customers": []}
    for (kind, record_id), links in rows:
        targets = TARGETS[kind]
        body[f"{kind}s"].append({f"{kind}_id": record_id, **{target: links.get(target) for target in targets}})
    return body


def batches(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
