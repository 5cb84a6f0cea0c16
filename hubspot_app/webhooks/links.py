"""Derive object links and the card read model from the lifecycle facts.

`link_state_for` is the pure rule; `project` applies it to every link (and
card row) that points at the given HubSpot ids: each is moved to the id that
survived any merge and given the state that id's lifecycle implies.
"""
from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..db.models import CardOrder, ObjectLink
from . import facts
from .contract import DELETED_IN_HUBSPOT, PRIVACY_DELETED, SYNCED, privacy_tombstone


def link_state_for(current: str, lifecycle: str) -> str:
    if current == PRIVACY_DELETED or lifecycle == facts.PRIVACY_DELETED:
        return PRIVACY_DELETED
    # Only the two states webhooks own move; others ("archived" by Moulin, sync-owned states) stay.
    if current not in (SYNCED, DELETED_IN_HUBSPOT):
        return current
    return DELETED_IN_HUBSPOT if lifecycle == facts.DELETED else SYNCED


def links_to(session: Session, portal_id: int, kind: str, hubspot_ids: set[str]) -> list[ObjectLink]:
    return list(session.scalars(select(ObjectLink).where(
        ObjectLink.portal_id == portal_id, ObjectLink.kind == kind, ObjectLink.hubspot_id.in_(hubspot_ids))))


def project(session: Session, portal_id: int, kind: str, hubspot_ids: set[str]) -> list[ObjectLink]:
    resolved = {hubspot_id: facts.resolve(session, portal_id, kind, hubspot_id) for hubspot_id in hubspot_ids}
    changed = []
    for link in links_to(session, portal_id, kind, hubspot_ids):
        survivor, lifecycle = resolved[link.hubspot_id]
        state = link_state_for(link.state, lifecycle)
        if state == PRIVACY_DELETED and not link.source_key.startswith("privacy:"):
            link.source_key = privacy_tombstone(link.source_key)
            link.content_hash = None
        if (link.hubspot_id, link.state) != (survivor, state):
            link.hubspot_id, link.state = survivor, state
            changed.append(link)
    if kind in CARD_COLUMNS:
        _project_cards(session, portal_id, kind, resolved)
    return changed


# The card row's column naming each kind of HubSpot record it shows.
CARD_COLUMNS = {"contact": CardOrder.hubspot_contact_id, "deal": CardOrder.hubspot_deal_id,
                "order": CardOrder.hubspot_order_id}


def _project_cards(session: Session, portal_id: int, kind: str, resolved: dict[str, tuple[str, str]]) -> None:
    column = CARD_COLUMNS[kind]
    for hubspot_id, (survivor, lifecycle) in resolved.items():
        values: dict = {column.key: survivor if lifecycle == facts.LIVE else None}
        if kind == "contact" and lifecycle == facts.PRIVACY_DELETED:
            values["contact_email"] = None
        session.execute(update(CardOrder).where(CardOrder.portal_id == portal_id, column == hubspot_id)
                        .values(**values).execution_options(synchronize_session=False))


def reattach_cards(session: Session, portal_id: int, kind: str, hubspot_id: str) -> None:
    """A restored contact, deal or order gets back the card rows of the Moulin records linked to it."""
    keys = list(session.scalars(select(ObjectLink.source_key).where(
        ObjectLink.portal_id == portal_id, ObjectLink.kind == kind, ObjectLink.hubspot_id == hubspot_id,
        ObjectLink.state == SYNCED)))
    if not keys:
        return
    if kind == "contact":  # contact links are keyed by email
        match, column = CardOrder.contact_email.in_(keys), CardOrder.hubspot_contact_id
    else:  # deal and order links by "store:order id"
        match, column = (CardOrder.store_code + ":" + CardOrder.order_id).in_(keys), CARD_COLUMNS[kind]
    session.execute(update(CardOrder).where(CardOrder.portal_id == portal_id, match,
                                            or_(column.is_(None), column == hubspot_id))
                    .values({column.key: hubspot_id}).execution_options(synchronize_session=False))
