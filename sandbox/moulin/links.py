"""The sample store's side of `PUT /hubspot-links` (docs/moulin-api.yaml): check, keep, count, show.

What a real back office would do with the links: keep the latest per order and
customer, so staff can jump from an order to its deal. The store also keeps
every record it received, in order, so tests count what was sent, and can be
told to fail (`fail_with`), so tests see a failing endpoint leave the sync green.
"""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_RECORDS = 100
TARGETS = {"orders": ("order_id", ("deal", "order")), "customers": ("customer_id", ("contact", "company"))}


class LinksRefused(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _check_target(where: str, value) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) and value[k] for k in ("id", "url")):
        raise LinksRefused(where, f"{where}: null or an object with non-empty strings id and url")
    if not value["url"].startswith(("https://", "http://")):
        raise LinksRefused(f"{where}.url", f"{where}.url: an http(s) URL")


def check(body) -> dict[str, list[dict]]:
    """The records of a valid body, by collection; LinksRefused names the first wrong field."""
    if not isinstance(body, dict) or type(body.get("portal_id")) is not int:  # bool is an int in Python
        raise LinksRefused("portal_id", "portal_id: an integer is required")
    records = {}
    for collection, (id_field, targets) in TARGETS.items():
        items = body.get(collection, [])
        if not isinstance(items, list):
            raise LinksRefused(collection, f"{collection}: a list is expected")
        for i, item in enumerate(items):
            where = f"{collection}[{i}]"
            if not isinstance(item, dict) or not isinstance(item.get(id_field), str) or not item[id_field]:
                raise LinksRefused(f"{where}.{id_field}", f"{where}.{id_field}: a non-empty string is required")
            for target in targets:
                _check_target(f"{where}.{target}", item.get(target))
        records[collection] = items
    if sum(len(items) for items in records.values()) > MAX_RECORDS:
        raise LinksRefused("orders", f"at most {MAX_RECORDS} orders and customers per request")
    return records


@dataclass
class LinkBook:
    enabled: bool = False  # listed in /ping `capabilities` only when True
    current: dict[tuple[str, str], dict] = field(default_factory=dict)  # (collection, id) -> latest links
    received: list[tuple[str, str, dict]] = field(default_factory=list)  # every record received, in order
    fail_with: int | None = None  # answer this status instead of keeping the links
    requests: int = 0  # every PUT /hubspot-links that reached the store, answered or refused

    def keep(self, portal_id: int, records: dict[str, list[dict]]) -> None:
        for collection, (id_field, targets) in TARGETS.items():
            for item in records[collection]:
                links = {"portal_id": portal_id, **{target: item.get(target) for target in targets}}
                self.current[(collection, item[id_field])] = links
                self.received.append((collection, item[id_field], links))

    def received_for(self, collection: str, record_id: str) -> list[dict]:
        return [links for c, i, links in self.received if (c, i) == (collection, record_id)]
