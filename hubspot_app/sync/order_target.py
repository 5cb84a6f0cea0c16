"""The reads the HubSpot-order target adds to a sync's one short read: the store's targets now, and the links
of its orders' own line items. Planning is `order_batch` (pure); writing the links is the sync's generic write."""
from __future__ import annotations

from sqlalchemy.orm import Session

from hubspot_app.domain.records import Order
from hubspot_app.db import repository as repo
from hubspot_app.domain.mapping import line_key
from hubspot_app.domain.order_batch import OrderLinks
from hubspot_app.domain.order_mapping import order_line_key
from .setup import orders_granted


def _orders_ready(session: Session, portal_id: int, setup) -> bool:
    return bool(getattr(setup, "order_pipeline_id", None)) and orders_granted(session, portal_id)


def store_targets(session: Session, portal_id: int, setup, settings) -> tuple[bool, bool]:
    """(write deals, write HubSpot orders): the store's choice, on deals while the portal lacks the order scopes or
    the order pipeline (made by setup once they are granted)."""
    return settings.targets(_orders_ready(session, portal_id, setup))


def store_targets_off(session: Session, portal_id: int, setup, settings) -> tuple[str, ...]:
    """The targets the store no longer writes, by the same rule (`StoreSettings.targets_off`)."""
    return settings.targets_off(_orders_ready(session, portal_id, setup))


def load_order_lines(session: Session, portal_id: int, orders: list[Order], order_links: dict) -> tuple[dict, OrderLinks]:
    """(the order-line links by key, for hashes and ids; what HubSpot has per order). order_links: order key ->
    its `order` link, if any."""
    links = repo.load_links(session, portal_id, "order_line",
                            {order_line_key(line_key(o, line)) for o in orders for line in o.lines})
    parents = {o.key: order_links[o.key] for o in orders if o.key in order_links}
    live, orphaned = repo.child_links(session, portal_id, "order_line", parents, lambda key: key + ":")
    for found in live.values():
        links.update({line.source_key: line for line in found})
    return links, OrderLinks({key: {line.source_key: line.hubspot_id for line in found}
                              for key, found in live.items()}, orphaned)
