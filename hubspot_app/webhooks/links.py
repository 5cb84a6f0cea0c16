"""Derive object links and the card read model from the lifecycle facts.

`link_state_for` is the pure rule; `project` applies it to every link (and
card row) that points at the given HubSpot ids: each is moved to the id that
survived any merge and given the state that id's lifecycle implies. Each works
on a set of ids with a fixed number of statements, so a batch of events costs
the same few queries as one.
"""
from __future__ import annotations

from sqlalchemy import Row, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from ..db.base import on_postgresql
from ..db.models import CardOrder, ObjectLink
from ..db.one_of import one_of
from ..db import bulk
from . import facts
from hubspot_app.domain.webhook_rules import (DELETED_IN_HUBSPOT, PRIVACY_DELETED, SYNCED, VANISHED,
                                              privacy_tombstone)


def link_state_for(current: str, lifecycle: str) -> str:
    if current == PRIVACY_DELETED or lifecycle == facts.PRIVACY_DELETED:
        return PRIVACY_DELETED
    # Only the states webhooks own move, and "vanished" (a deletion the reconcile found before its webhook came:
    # once the webhook comes it is a deletion we heard of). Others ("archived" by Moulin) stay.
    if current not in (SYNCED, DELETED_IN_HUBSPOT, VANISHED):
        return current
    return DELETED_IN_HUBSPOT if lifecycle == facts.DELETED else SYNCED


def links_to(session: Session, portal_id: int, kind: str, hubspot_ids: set[str]) -> list[ObjectLink]:
    return list(session.scalars(select(ObjectLink).where(ObjectLink.portal_id == portal_id, ObjectLink.kind == kind,
                                                         one_of(session, ObjectLink.hubspot_id, hubspot_ids))))


_LINKS = ObjectLink.__table__
_ROW = ("id", "hubspot_id", "state", "source_key", "content_hash")


def link_rows(session: Session, portal_id: int, kind: str, hubspot_ids: set[str]) -> list[Row]:
    """The links to these ids as plain rows (a batch reads thousands): what `project` reads and writes. In id
    order, as the ORM wrote them (it sorts a flush by primary key): the row locks' order is unchanged."""
    return list(session.execute(select(*(_LINKS.c[name] for name in _ROW)).where(
        _LINKS.c.portal_id == portal_id, _LINKS.c.kind == kind,
        one_of(session, _LINKS.c.hubspot_id, hubspot_ids)).order_by(_LINKS.c.id)))


def project(session: Session, portal_id: int, kind: str, hubspot_ids: set[str],
            linked: list[Row] | None = None) -> list[str]:
    """`linked`: the `link_rows` to `hubspot_ids`, when the caller has read them already. Returns the id each
    link moved or changed state now points at, one per such link."""
    resolved = {hubspot_id: facts.resolve(session, portal_id, kind, hubspot_id) for hubspot_id in hubspot_ids}
    changed, writes = [], {}
    for link in link_rows(session, portal_id, kind, hubspot_ids) if linked is None else linked:
        survivor, lifecycle = resolved[link.hubspot_id]
        new = {"hubspot_id": survivor, "state": link_state_for(link.state, lifecycle)}
        if new["state"] == PRIVACY_DELETED and not link.source_key.startswith("privacy:"):
            new.update(source_key=privacy_tombstone(link.source_key), content_hash=None)
        if (link.hubspot_id, link.state) != (survivor, new["state"]):
            changed.append(survivor)
        # Only the columns that change, as the ORM would: the sync may be writing the others meanwhile.
        diff = {name: value for name, value in new.items() if getattr(link, name) != value}
        if diff:
            writes.setdefault(tuple(diff), []).append(dict(diff, id=link.id))
    for columns, rows in writes.items():
        bulk.update_rows(session, _LINKS, ("id",), columns, rows)
        _expire(session, rows)
    if kind in CARD_COLUMNS:
        _project_cards(session, portal_id, kind, resolved)
    return changed


def _expire(session: Session, rows: list[dict]) -> None:
    # Links a handler loaded as ORM objects in this unit of work are read again from the database when used.
    for row in rows:
        link = session.identity_map.get(identity_key(ObjectLink, row["id"]))
        if link is not None:
            session.expire(link)


# The card row's column naming each kind of HubSpot record it shows.
CARD_COLUMNS = {"contact": CardOrder.hubspot_contact_id, "deal": CardOrder.hubspot_deal_id,
                "order": CardOrder.hubspot_order_id}


def _project_cards(session: Session, portal_id: int, kind: str, resolved: dict[str, tuple[str, str]]) -> None:
    column = CARD_COLUMNS[kind]
    detached = set()
    for hubspot_id, (survivor, lifecycle) in resolved.items():
        if (survivor, lifecycle) == (hubspot_id, facts.LIVE):
            continue  # the cards already point at it
        if lifecycle == facts.DELETED:
            detached.add(hubspot_id)
            continue
        values: dict = {column.key: survivor if lifecycle == facts.LIVE else None}
        if kind == "contact" and lifecycle == facts.PRIVACY_DELETED:
            values["contact_email"] = None
        session.execute(update(CardOrder).where(CardOrder.portal_id == portal_id, column == hubspot_id)
                        .values(**values).execution_options(synchronize_session=False))
    detach_cards(session, portal_id, kind, detached)


def detach_cards(session: Session, portal_id: int, kind: str, hubspot_ids: set[str]) -> None:
    """Card rows pointing at these (deleted) contacts, deals or orders stop pointing at them: one UPDATE."""
    if not hubspot_ids:
        return
    column = CARD_COLUMNS[kind]
    session.execute(update(CardOrder).where(CardOrder.portal_id == portal_id, one_of(session, column, hubspot_ids))
                    .values({column.key: None}).execution_options(synchronize_session=False))


def reattach_cards(session: Session, portal_id: int, kind: str, hubspot_ids: set[str]) -> None:
    """Restored contacts, deals or orders get back the card rows of the Moulin records linked to them: one
    SELECT of the links, one UPDATE (from the links as a record set on PostgreSQL, executemany on SQLite)."""
    if not hubspot_ids:
        return
    linked = session.execute(select(ObjectLink.source_key, ObjectLink.hubspot_id).where(
        ObjectLink.portal_id == portal_id, ObjectLink.kind == kind, one_of(session, ObjectLink.hubspot_id, hubspot_ids),
        ObjectLink.state == SYNCED)).all()
    cards = CardOrder.__table__.c
    column = cards[CARD_COLUMNS[kind].key]
    if kind == "contact":  # contact links are keyed by email
        fields = {"key": cards.contact_email, "to_id": column}
        rows = [{"key": key, "to_id": id_} for key, id_ in linked]
    else:  # deal and order links by "store:order id"
        fields = {"store": cards.store_code, "order": cards.order_id, "to_id": column}
        rows = [dict(zip(("store", "order"), key.split(":", 1)), to_id=id_) for key, id_ in linked if ":" in key]
    if not rows:
        return
    if on_postgresql(session):
        given, params = bulk.recordset(rows, fields).c, None
    else:
        given, params = {name: bindparam(name) for name in fields}, rows
    match = and_(*(target == given[name] for name, target in fields.items() if name != "to_id"))
    stmt = (update(CardOrder.__table__).where(cards.portal_id == portal_id, match,
                                              or_(column.is_(None), column == given["to_id"]))
            .values({column.key: given["to_id"]}))
    session.connection().execute(stmt, params)
