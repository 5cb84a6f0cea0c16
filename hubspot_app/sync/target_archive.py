"""Archive what a store's switched-off target left in HubSpot, only when its operator asks (the settings page).

Switching a target off leaves its records in HubSpot (`store_settings.targets_off`). On request, this archives them
for one store of one portal: orders off -> the store's HubSpot orders, their own line items and its carts (with
theirs); deals off -> its deals and their line items. Every write is a planned batch archive, as for deletions
(`deletions.py`): N records cost ceil(N/100) calls per object type. The links of what was archived are removed
and the card rows lose its ids, so a later switch back (which restarts the backfill) creates each record once
again. Links not `synced` (deleted in HubSpot by a person, archived with a deleted order) are left as they are:
switching back must not bring back what someone deleted.
"""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import extensions
from ..db.models import MoulinStore, ObjectLink, PortalSetup
from ..logs import log_event
from hubspot_app.domain.store_settings import DEALS, ORDERS, StoreSettings
from hubspot_app import bootstrap
from hubspot_app.db import repository as repo
from hubspot_app.domain.batch import Built
from hubspot_app.domain.cart_schema import CART_LINES, CART_TYPE
from ..webhooks.links import CARD_COLUMNS, detach_cards
from .executor import execute
from .order_target import store_targets_off
from hubspot_app.domain.planner import Work

logger = logging.getLogger(__name__)

JOB = "sync.archive_target"
CHUNK = 1000  # links per kind per round: a multiple of 100, so the rounds add no archive call to the minimum

# Switched-off target -> what it wrote: (link kind, planned object type, key prefix of the store's links).
WRITTEN = {
    ORDERS: (("order", "orders", "{}:"), ("order_line", "order_lines", "{}:"),
             ("cart", CART_TYPE, "{}:"), ("cart_line", CART_LINES, "cart/{}:")),
    DEALS: (("deal", "deals", "{}:"), ("line_item", "line_items", "{}:")),
}


def targets_off(session: Session, portal_id: int, store_code: str) -> tuple[str, ...]:
    """The store's targets whose records may be archived now (none for a store that is gone)."""
    store = session.scalar(select(MoulinStore).where(MoulinStore.portal_id == portal_id,
                                                     MoulinStore.code == store_code))
    if store is None:
        return ()
    setup = session.scalar(select(PortalSetup).where(PortalSetup.portal_id == portal_id))
    return store_targets_off(session, portal_id, setup, StoreSettings.of(store.settings))


def archivable_count(session: Session, portal_id: int, store_code: str, target: str) -> int:
    """How many records of the store the switched-off target still has in HubSpot (the page's confirmation)."""
    kind, _, prefix = WRITTEN[target][0]
    return session.scalar(_synced(portal_id, kind, prefix.format(store_code)).with_only_columns(func.count()))


def archive_switched_off(portal_id: int, store_code: str, keep_going: Callable[[], bool] = lambda: True) -> dict:
    """Archive the store's records of its switched-off targets, a round at a time; `done` once none is left.

    The targets are read again at each round: a store switched back meanwhile keeps what it has from then on."""
    crm, archived, done = bootstrap.crm_for(portal_id), {}, False
    while not done:
        with extensions.db().session() as session:
            off = targets_off(session, portal_id, store_code)
            links = [(kind, object_type, link) for target in off for kind, object_type, prefix in WRITTEN[target]
                     for link in _synced_links(session, portal_id, kind, prefix.format(store_code))]
            session.expunge_all()
        done = not links
        if links:
            built = Built(Work())
            for _, object_type, link in links:
                built.work.archive(object_type, link.hubspot_id)
            execute(crm, built, {}, {})  # no transaction open while HubSpot answers; a failure raises (retried)
            with extensions.db().session() as session:
                _forget(session, portal_id, links)
            for _, object_type, _ in links:
                archived[object_type] = archived.get(object_type, 0) + 1
        if not done and not keep_going():
            break
    log_event(logger, "sync.target_archived", portal_id=portal_id, store=store_code, done=done, **archived)
    return {"done": done, "archived": archived, "hubspot_calls": crm.calls}


def _synced(portal_id: int, kind: str, prefix: str):
    return select(ObjectLink).where(
        ObjectLink.portal_id == portal_id, ObjectLink.kind == kind, ObjectLink.state == "synced",
        ObjectLink.hubspot_id.is_not(None), ObjectLink.source_key.startswith(prefix, autoescape=True))


def _synced_links(session: Session, portal_id: int, kind: str, prefix: str) -> list[ObjectLink]:
    return list(session.scalars(_synced(portal_id, kind, prefix).order_by(ObjectLink.id).limit(CHUNK)))


def _forget(session: Session, portal_id: int, links: list) -> None:
    """Links gone (a switch back creates the records again), card rows without the archived ids."""
    by_kind: dict[str, list[ObjectLink]] = {}
    for kind, _, link in links:
        by_kind.setdefault(kind, []).append(link)
    for kind, found in by_kind.items():
        repo.delete_links(session, portal_id, kind, [link.source_key for link in found])
        if kind in CARD_COLUMNS:  # the store's own deals and orders: no other card row names their ids
            detach_cards(session, portal_id, kind, {link.hubspot_id for link in found})
